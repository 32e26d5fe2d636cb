package dev.canopy.cli.bench;

import picocli.CommandLine.Option;

/** Head width and head count of the attention calls a benchmark times, shared by the bench commands. */
public final class AttentionShapeOptions {
    @Option(names = "--d", description = "Head width (default: ${DEFAULT-VALUE}).", defaultValue = "64")
    int d;
    @Option(names = "--heads", description = "Heads (default: ${DEFAULT-VALUE}).", defaultValue = "8")
    int heads;
}
