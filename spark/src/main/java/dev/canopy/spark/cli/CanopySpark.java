package dev.canopy.spark.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code canopy spark}: Canopy's models over a corpus on Apache Spark, embedded ({@code local[*]}) or on a cluster.
 * The launcher starts this class, with Spark's classpath and JVM options, only for {@code ./canopy spark ...}; it is
 * also the main class for {@code spark-submit}.
 */
@Command(name = "canopy spark", mixinStandardHelpOptions = true, version = "canopy 0.1.0",
        description = "Embed or classify a corpus on Apache Spark (embedded local[*] by default, or --master spark://HOST:PORT).",
        subcommands = {SparkEmbedCommand.class, SparkClassifyCommand.class, CommandLine.HelpCommand.class})
public final class CanopySpark implements Runnable {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line and returns its exit code (tests call this instead of main). */
    public static int run(String... args) {
        return run(new java.io.PrintWriter(System.err, true), args);
    }

    /** As {@link #run(String...)}, with one-line errors going to err. */
    public static int run(java.io.PrintWriter err, String... args) {
        QuietLogging.install();
        CommandLine cl = new CommandLine(new CanopySpark());
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            ex.getCommandLine().getErr().println("canopy: " + ex.getMessage() + " (see '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help')");
            return SparkFailures.BAD_INPUT;
        });
        cl.setExecutionExceptionHandler((ex, command, parseResult) -> SparkFailures.report(ex, command.getErr()));
        return cl.execute(args);
    }

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }
}
