package dev.canopy.cli.bench;

import dev.canopy.cli.report.ReportCommand;
import dev.canopy.cli.train.StepsBench;
import picocli.CommandLine.Command;

/** Groups the benchmarks; each prints one JSON object per line. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure kernels and attention (JSON lines: time, GFLOP/s, fraction of the measured FMA peak, memory).",
        subcommands = {KernelBench.class, AttentionBench.class, HeadsBench.class, ApproxBench.class, AbBench.class, PeersBench.class, DecodeBench.class,
                StepsBench.class, ReportCommand.class})
public final class BenchCommand implements Runnable {
    @Override
    public void run() {
        picocli.CommandLine.usage(this, System.out);
    }
}
