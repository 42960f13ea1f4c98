namespace Konduktor.Core;

/// <summary>Fresh identifiers; injected so tests can forge ids (for example to make prefixes collide).</summary>
public interface IIdGenerator
{
    Guid NewId();
}

public sealed class RandomIdGenerator : IIdGenerator
{
    public Guid NewId() => Guid.NewGuid();
}
