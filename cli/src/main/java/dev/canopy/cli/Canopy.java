package dev.canopy.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code canopy} command: subcommands for benchmarks, training, evaluation and the demo. */
@Command(name = "canopy", mixinStandardHelpOptions = true, version = "canopy 0.1.0",
        description = "Exact, top-k and decision-tree attention over long sequences.",
        subcommands = {BenchCommand.class, DemoCommand.class, TrainCommand.class, EvalCommand.class, LraCommand.class,
                ConvertCommand.class, EmbedCommand.class, CommandLine.HelpCommand.class})
public final class Canopy implements Runnable {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line, shared by main and the tests. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Canopy());
        cl.setParameterExceptionHandler((ex, a) -> {
            ex.getCommandLine().getErr().println("canopy: " + ex.getMessage() + " (see '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help')");
            return 2;
        });
        // Whatever a command throws becomes one line and an exit code (2: bad input); Errors such as OutOfMemoryError
        // are not passed to the exception handler, so the execution strategy catches those.
        cl.setExecutionExceptionHandler((ex, command, parseResult) -> Failures.report(ex, command.getErr()));
        cl.setExecutionStrategy(parseResult -> {
            try {
                return new CommandLine.RunLast().execute(parseResult);
            } catch (OutOfMemoryError | StackOverflowError e) {
                return Failures.report(e, parseResult.commandSpec().commandLine().getErr());
            }
        });
        return cl;
    }

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }
}
