using System.Diagnostics.CodeAnalysis;

namespace Konduktor.Core.Results;

/// <summary>Either a value or a <see cref="Failure"/>. Domain operations return this instead of throwing.</summary>
public readonly record struct Result<T>
{
    private Result(T? value, Failure? failure)
    {
        Value = value;
        Failure = failure;
    }

    public T? Value { get; }

    public Failure? Failure { get; }

    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Failure))]
    public bool IsSuccess => Failure is null;

    public static implicit operator Result<T>(T value) => new(value, null);

    public static implicit operator Result<T>(Failure failure) => new(default, failure);

    public Result<TOut> Map<TOut>(Func<T, TOut> map) => IsSuccess ? map(Value) : Failure;

    public async Task<Result<TOut>> Then<TOut>(Func<T, Task<Result<TOut>>> next) => IsSuccess ? await next(Value) : Failure;

    public Result<TOut> Then<TOut>(Func<T, Result<TOut>> next) => IsSuccess ? next(Value) : Failure;

    public bool TryGet([NotNullWhen(true)] out T? value, [NotNullWhen(false)] out Failure? failure)
    {
        value = Value;
        failure = Failure;
        return IsSuccess;
    }
}

/// <summary>The value of an operation that succeeds with nothing to return.</summary>
public readonly record struct Done
{
    public static readonly Done Value;
}

public static class Result
{
    public static Result<T> Ok<T>(T value) => value;
}
