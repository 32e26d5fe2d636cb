package dev.canopy.kernels;

import java.util.Arrays;

/**
 * The transpose of a top-k selection: for every key, the flat slots (row * k + s) whose selection chose it, in
 * increasing row order (compressed sparse rows). Backward passes use it to gather each key's gradient from the rows
 * that selected it, so key ranges can run on different threads without locks or per-thread partial buffers, and the
 * sum order (hence the result) does not depend on the thread count.
 */
public final class KeyLists {
    /** Slots of key j are entries[offsets[j] .. offsets[j + 1]). */
    public final int[] offsets;
    public final int[] entries;

    private KeyLists(int[] offsets, int[] entries) {
        this.offsets = offsets;
        this.entries = entries;
    }

    /**
     * Counting sort of idx[idxOff + slot] for slot in [0, rows * k) by key; entries below 0 mark unused slots and are
     * skipped. O(rows * k + keys).
     */
    public static KeyLists build(int[] idx, int idxOff, int rows, int k, int keys) {
        int[] offsets = new int[keys + 1];
        int slots = rows * k;
        for (int s = 0; s < slots; s++) {
            int j = idx[idxOff + s];
            if (j >= 0) offsets[j + 1]++;
        }
        for (int j = 0; j < keys; j++) offsets[j + 1] += offsets[j];
        int[] entries = new int[offsets[keys]];
        int[] cursor = Arrays.copyOf(offsets, keys);
        for (int s = 0; s < slots; s++) {
            int j = idx[idxOff + s];
            if (j >= 0) entries[cursor[j]++] = s;
        }
        return new KeyLists(offsets, entries);
    }

    /** Upper bound of the bytes build allocates (offsets, entries, cursor). */
    public static long bytes(long slots, int keys) {
        return 4L * (2L * keys + 1 + slots);
    }
}
