package dev.canopy.cli;

import picocli.CommandLine.Command;

/** The main job. Until training lands it runs the attention benchmark at a small size. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "The main job: compare the attentions on the same work and print a table.")
public final class DemoCommand implements Runnable {
    @Override
    public void run() {
        System.out.println("canopy demo: exact attention forward and backward at n=1024 and 4096, d=64, 8 heads (JSON lines)");
        Canopy.commandLine().execute("bench", "attention", "--kind", "exact", "--n", "1024,4096", "--backward", "--min-seconds", "0.5");
    }
}
