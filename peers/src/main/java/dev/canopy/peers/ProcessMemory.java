package dev.canopy.peers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Resident memory of this process from /proc (Linux). The peak can be reset (clear_refs 5), so the peak reached
 * while one contender runs is measurable even when contenders alternate in one process. Native peers allocate
 * outside the Java heap and return large blocks to the system, so their RSS rise is their working memory; Java
 * heap pages stay resident once touched, so for Canopy prefer the working bytes the attention itself reports.
 */
public final class ProcessMemory {
    private static final Path STATUS = Path.of("/proc/self/status");
    private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");

    private ProcessMemory() {}

    /** Whether this system exposes and lets us reset the peak (Linux 4.0+). */
    public static boolean available() {
        return Files.isReadable(STATUS) && Files.isWritable(CLEAR_REFS) && resetPeak();
    }

    /** Sets the recorded peak to the current resident size; false when the system does not allow it. */
    public static boolean resetPeak() {
        try {
            Files.writeString(CLEAR_REFS, "5");
            return true;
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }

    public static long residentBytes() {
        return field("VmRSS:");
    }

    public static long peakResidentBytes() {
        return field("VmHWM:");
    }

    private static long field(String name) {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith(name)) {
                    String[] parts = line.substring(name.length()).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024;  // reported in kB
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
