using Konduktor.Cli;
using Konduktor.Cli.Commands;

return await KonduktorCommandLine.RunAsync(args, UpElsewhere.Build());
