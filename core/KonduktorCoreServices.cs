using Konduktor.Core.Auth;
using Konduktor.Core.Storage;
using Konduktor.Core.Runners;
using Konduktor.Core.Sessions;
using Konduktor.Core.Tasks;
using Konduktor.Core.Workspaces;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Konduktor.Core;

public static class KonduktorCoreServices
{
    /// <summary>Registers core's services. Storage comes from <c>Konduktor:Storage:*</c> (or <c>AzureWebJobsStorage</c>).</summary>
    public static IServiceCollection AddKonduktorCore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(StorageOptionsFrom(configuration));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IIdGenerator, RandomIdGenerator>();
        services.AddSingleton<StorageOperationCounter>();
        services.AddSingleton<StorageClients>();
        services.AddSingleton(provider => new SecretVault(
            configuration["Konduktor:KeyVaultUri"] is { Length: > 0 } vaultUri ? new Azure.Security.KeyVault.Secrets.SecretClient(new Uri(vaultUri), new Azure.Identity.DefaultAzureCredential()) : null,
            provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton<TextStore>();
        services.AddSingleton<WorkspaceService>();
        services.AddSingleton<AgentSecrets>();
        services.AddSingleton<TaskService>();
        services.AddSingleton<TaskDependencies>();
        services.AddSingleton<Projects.ProjectService>();
        services.AddSingleton<Projects.PhaseReviews>();
        services.AddSingleton<Docs.DocService>();
        services.AddSingleton<Questions.QuestionService>();
        services.AddSingleton<Agents.AgentService>();
        services.AddSingleton<Changes.ChangeSets>();
        services.AddSingleton<Tasks.BoardFeed>();
        services.AddSingleton<RunnerService>();
        AddSessions(services, configuration);
        AddGitHub(services, configuration);
        services.AddSingleton<IAuthenticator, KonduktorAuthenticator>();
        if (configuration["Konduktor:LocalToken"] is { Length: > 0 } token)
        {
            services.AddSingleton(new LocalTokenOptions(token));
            if (configuration["Konduktor:BoardKeyFile"] is { Length: > 0 } boardKey)
            {
                services.AddSingleton(provider => new BoardSignIn(boardKey, token, provider.GetRequiredService<TimeProvider>()));
            }

            services.AddSingleton<IUserAuthenticator, LocalTokenAuthenticator>();
        }

        return services;
    }

    private static StorageOptions StorageOptionsFrom(IConfiguration configuration)
    {
        var connectionString = configuration[$"{StorageOptions.Section}:ConnectionString"] ?? configuration["AzureWebJobsStorage"];
        var accountName = configuration[$"{StorageOptions.Section}:AccountName"] ?? configuration["AzureWebJobsStorage:accountName"];
        if (connectionString is null && accountName is null)
        {
            throw new InvalidOperationException($"no storage configured: set {StorageOptions.Section}:ConnectionString (or AzureWebJobsStorage), or {StorageOptions.Section}:AccountName for an identity");
        }

        return new StorageOptions
        {
            ConnectionString = connectionString,
            AccountName = accountName,
            RunnersThroughApi = configuration.GetValue($"{StorageOptions.Section}:RunnersThroughApi", false),
            Prefix = configuration[$"{StorageOptions.Section}:Prefix"] ?? "",
        };
    }

    /// <summary>Sessions by use case, their queue, logs and janitor; usage limits and budgets.</summary>
    private static void AddSessions(IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<SessionJobs>();
        services.AddSingleton<SessionSignals>();
        services.AddSingleton<ActiveSessions>();
        services.AddSingleton<SessionStore>();
        services.AddSingleton<SessionReads>();
        services.AddSingleton<SessionBudgets>();
        services.AddSingleton<SessionEnds>();
        services.AddSingleton<SessionStarts>();
        services.AddSingleton<AutoRuns>();
        services.AddSingleton<SessionStops>();
        services.AddSingleton<SessionMessages>();
        services.AddSingleton<SessionClaims>();
        services.AddSingleton<SessionReports>();
        services.AddSingleton<SessionLogs>();
        services.AddSingleton<SessionActivity>();
        services.AddSingleton<LogChunks>();
        services.AddSingleton<LogCompactor>();
        services.AddSingleton(new LogCompactionOptions(!string.Equals(configuration[LogCompactionOptions.Setting], "off", StringComparison.OrdinalIgnoreCase)));
        services.AddSingleton<SessionJanitor>();
        services.AddSingleton<Transcripts>();
        services.AddSingleton(new JanitorOptions
        {
            OrphanAfter = TimeSpan.FromSeconds(configuration.GetValue($"{JanitorOptions.Section}:OrphanAfterSeconds", 120.0)),
            LostAfter = TimeSpan.FromSeconds(configuration.GetValue($"{JanitorOptions.Section}:LostAfterSeconds", 300.0)),
        });
        services.AddSingleton(new Quota.QuotaOptions
        {
            MinimumWait = TimeSpan.FromSeconds(configuration.GetValue($"{Quota.QuotaOptions.Section}:MinimumWaitSeconds", 60.0)),
            MaximumWait = TimeSpan.FromSeconds(configuration.GetValue($"{Quota.QuotaOptions.Section}:MaximumWaitSeconds", TimeSpan.FromDays(8).TotalSeconds)),
            FallbackWait = TimeSpan.FromSeconds(configuration.GetValue($"{Quota.QuotaOptions.Section}:FallbackWaitSeconds", 3600.0)),
        });
        services.AddSingleton<Quota.AccountLimits>();
        services.AddSingleton<Quota.UsageLedger>();
        services.AddSingleton<Quota.UsageService>();
    }

    private static void AddGitHub(IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<GitHub.GitHubWebhooks>();
        services.AddSingleton<GitHub.GitHubApi>();
        services.AddSingleton<GitHub.AutoFix>();
        services.AddSingleton<GitHub.GitHubWork>();
        services.AddSingleton<GitHub.PullRequestOpener>();
        services.AddSingleton<GitHub.PullRequestReconciler>();
        services.AddSingleton<GitHub.IssueFollowing>();
        services.AddSingleton<GitHub.IssueReconciler>();
        services.AddSingleton<GitHub.IssueAnnouncer>();
        services.AddSingleton<GitHub.QuestionMirror>();
        services.AddSingleton<GitHub.PullRequestVoice>();
        services.AddSingleton<GitHub.GitHubWorker>();
        services.AddSingleton<GitHub.GitHubResponseCache>();
        services.AddSingleton(new GitHub.BoardLinks(configuration["Konduktor:BoardUrl"] is { Length: > 0 } board ? new Uri(board) : null));
        services.AddSingleton(new GitHub.GitHubOptions(configuration["Konduktor:GitHub:ApiUrl"] is { Length: > 0 } apiUrl ? new Uri(apiUrl.TrimEnd('/') + "/") : GitHub.GitHubOptions.Default));
    }
}
