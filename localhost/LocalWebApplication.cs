using Microsoft.AspNetCore.Builder;

namespace Konduktor.LocalHost;

/// <summary>
/// The web applications <c>up</c> runs in its process (the host, the Durable sidecar, the storage proxy). Their content
/// root is the program's own folder, never the current directory: ASP.NET watches its content root for configuration
/// changes, and watching a repository with its node_modules (or a temp folder) costs seconds at every start.
/// </summary>
public static class LocalWebApplication
{
    public static WebApplicationBuilder CreateBuilder(string name) =>
        WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Production", ApplicationName = name, ContentRootPath = AppContext.BaseDirectory });
}
