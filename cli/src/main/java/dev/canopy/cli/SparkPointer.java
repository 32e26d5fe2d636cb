package dev.canopy.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code canopy spark} in the command list. The launcher runs it from the spark module, with Spark's classpath, so
 * that no other command loads Spark; this class is reached only when the CLI is started some other way.
 */
@Command(name = "spark", description = "Embed or classify a corpus on Apache Spark, embedded or on a cluster (./canopy spark --help).")
public final class SparkPointer implements Callable<Integer> {
    @Parameters(arity = "0..*", hidden = true)
    List<String> ignored;

    @Override
    public Integer call() {
        throw new IllegalArgumentException("'spark' runs from the spark module: start it as ./canopy spark ... (the launcher puts Spark on the classpath for it)");
    }
}
