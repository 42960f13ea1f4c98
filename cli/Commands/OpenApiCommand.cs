using System.CommandLine;
using Konduktor.Core.Contract;

namespace Konduktor.Cli.Commands;

/// <summary><c>konduktor openapi</c>: the API's contract as this build knows it (the server serves the same at <c>/api/openapi.json</c>).</summary>
public static class OpenApiCommand
{
    public static Command Build()
    {
        var output = new Option<string?>("--output", "-o") { Description = "Write it to this file (only when it changed) instead of printing it" };
        return CommandFactory.Create("openapi", "Print the API's OpenAPI 3.1 document (routes, bodies, replies, failures, who may call each)", (cli, ct) =>
        {
            var document = OpenApiDocument.Json();
            if (cli.Get(output) is not { } file)
            {
                Console.Out.Write(document);
            }
            else
            {
                try
                {
                    if (!File.Exists(file) || File.ReadAllText(file) != document)
                    {
                        File.WriteAllText(file, document);
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new CommandFailedException($"cannot write {file}: {e switch
                    {
                        DirectoryNotFoundException => "its folder does not exist",
                        UnauthorizedAccessException => "permission denied",
                        _ => "the file could not be written",
                    }}");
                }
            }

            return Task.CompletedTask;
        }, output);
    }
}
