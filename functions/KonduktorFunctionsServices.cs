using Konduktor.Core;
using Konduktor.Functions.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Konduktor.Functions;

/// <summary>
/// Every registration the function classes need. Program.cs (Azure) and the local host (<c>konduktor up</c>)
/// both call this, so the same classes run with the same services in both places.
/// </summary>
public static class KonduktorFunctionsServices
{
    public static IServiceCollection AddKonduktorFunctions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddKonduktorCore(configuration);
        services.AddSingleton<Api>();
        EntraUserAuthenticator.AddTo(services, configuration);
        services.AddSingleton(provider => DurableOptions.From(configuration, provider.GetRequiredService<Konduktor.Core.Storage.StorageOptions>()));
        services.AddSingleton<DurableEngine>();
        services.AddSingleton<Konduktor.Core.Projects.IProjectOrchestrations, DurableProjectOrchestrations>();
        return services;
    }
}
