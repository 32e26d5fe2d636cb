package dev.canopy.attention.tree;

/** Keys of one layer taken from a model to fit or grow its trees on: [heads, rows, d], unpadded keys only. */
public record KeySample(float[] keys, int rows) {}
