package dev.canopy.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A seeded run gives the same bits every time only if no float sum depends on the JIT. The Vector API's
 * reduceLanes(ADD) and reduceLanes(MUL) may add in one order interpreted and another once compiled: with it in TC's
 * tree-gradient chain, six runs of the demo's schedule cell ended with six different sets of weights (with
 * {@link VecOps#sum} six runs agree to the bit). No main source may use it, sums go through VecOps.sum; the one
 * exception is decode's per-key dot (inference only, where the fixed order cost 40% more a key).
 */
class ReproducibleSumsTest {
    private static final Set<String> ALLOWED = Set.of("dev/canopy/decode/CacheKernels.java");
    private static final Pattern TIER_DEPENDENT = Pattern.compile("reduceLanes\\(\\s*(VectorOperators\\.)?(ADD|MUL)\\b");

    @Test
    void noKernelSumsLanesInAnOrderTheJitMayChange() throws IOException {
        Path sources = Path.of("src/main/java");
        assertTrue(Files.isDirectory(sources), "run from the core module: " + sources.toAbsolutePath());
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(sources)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                if (ALLOWED.contains(sources.relativize(file).toString().replace('\\', '/'))) continue;
                List<String> lines = Files.readAllLines(file);
                for (int i = 0; i < lines.size(); i++) {
                    String line = lines.get(i).strip();
                    boolean comment = line.startsWith("*") || line.startsWith("//") || line.startsWith("/*");
                    if (!comment && TIER_DEPENDENT.matcher(line).find()) found.add(sources.relativize(file) + ":" + (i + 1));
                }
            }
        }
        assertTrue(found.isEmpty(), "reduceLanes(ADD/MUL) changes its order of additions with the JIT tier; use VecOps.sum at " + found);
    }
}
