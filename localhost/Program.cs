using Konduktor.Cli;
using Konduktor.LocalHost;

// `up`'s host is the whole command line with the real `up`: the runner it starts puts this folder's `konduktor` first on
// its agents' PATH and starts each agent through this executable's supervisor verb.
return await KonduktorCommandLine.RunAsync(args, UpCommand.Build());
