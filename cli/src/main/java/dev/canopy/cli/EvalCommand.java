package dev.canopy.cli;

import picocli.CommandLine.Command;

/** Groups the evaluations; each prints one JSON object per line. */
@Command(name = "eval", mixinStandardHelpOptions = true, description = "Evaluate models and attentions on real data (JSON lines).",
        subcommands = {DropinEval.class})
public final class EvalCommand implements Runnable {
    @Override
    public void run() {
        picocli.CommandLine.usage(this, System.out);
    }
}
