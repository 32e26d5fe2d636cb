package dev.canopy.cli.eval;

/** One document of an evaluation set: where it came from, its class, its text. */
public record LabeledText(String id, String label, String text) {}
