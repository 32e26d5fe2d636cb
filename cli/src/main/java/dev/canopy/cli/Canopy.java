package dev.canopy.cli;

import dev.canopy.attention.AttentionSpec;
import dev.canopy.attention.registry.Attentions;
import dev.canopy.cli.bench.BenchCommand;
import dev.canopy.cli.options.AttentionList;
import dev.canopy.cli.pretrained.ConvertCommand;
import dev.canopy.cli.pretrained.EmbedCommand;
import dev.canopy.cli.train.DemoCommand;
import dev.canopy.cli.train.EvalCommand;
import dev.canopy.cli.train.GenerateCommand;
import dev.canopy.cli.train.Preset;
import dev.canopy.cli.train.SweepCommand;
import dev.canopy.cli.train.TrainCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code canopy} command: subcommands for benchmarks, training, evaluation and the demo. */
@Command(name = "canopy", mixinStandardHelpOptions = true, version = "canopy 0.1.0",
        description = "Exact, top-k and decision-tree attention over long sequences.",
        subcommands = {BenchCommand.class, DemoCommand.class, TrainCommand.class, SweepCommand.class, EvalCommand.class, LraCommand.class,
                ConvertCommand.class, EmbedCommand.class, GenerateCommand.class, SparkPointer.class, CommandLine.HelpCommand.class})
public final class Canopy implements Runnable {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line, shared by main and the tests. */
    public static CommandLine commandLine() {
        System.setProperty("canopy.attentions", Attentions.help()); // the registry's list, for help texts as ${canopy.attentions}
        CommandLine cl = new CommandLine(new Canopy());
        // Specs are parsed once, here at the edge; commands get typed values and a bad spec is a usage error.
        cl.registerConverter(AttentionSpec.class, text -> converted(text, Attentions::parse));
        cl.registerConverter(AttentionList.class, text -> converted(text, AttentionList::parse));
        cl.registerConverter(Preset.class, text -> converted(text, Preset::parse));
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

    /** A parse error as picocli reports a bad option value: one line, no exception class name. */
    private static <T> T converted(String text, Function<String, T> parse) {
        try {
            return parse.apply(text);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }
}
