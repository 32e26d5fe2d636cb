package dev.canopy.train;

import dev.canopy.nn.Parameter;

/** When a checkpoint's learned position table may seed the first rows of a longer model's table. */
final class PositionPrefix {
    private PositionPrefix() {}

    /** A [positions, dim] table named *embed.positions.weight, and stored values that are whole rows, fewer than it has. */
    static boolean fits(Parameter table, float[] stored) {
        if (!table.name.endsWith("embed.positions.weight") || table.shape.length != 2) return false;
        int dim = table.shape[1];
        return stored.length < table.size() && stored.length > 0 && stored.length % dim == 0;
    }
}
