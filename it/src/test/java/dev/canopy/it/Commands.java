package dev.canopy.it;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the repository's own scripts and programs as a user would, failing the test with the output's tail. */
final class Commands {
    static final Path ROOT = Path.of(System.getProperty("canopy.it.root", "..")).toAbsolutePath().normalize();
    /** The local repository of the build that runs these tests: read by nested builds, never written. */
    static final Path TAIL = Path.of(System.getProperty("canopy.it.localRepository",
            Path.of(System.getProperty("user.home"), ".m2", "repository").toString()));
    static final Path TARGET = ROOT.resolve("it/target");
    /** Where nested builds install Canopy, so that the user's ~/.m2 never changes under a test. */
    static final Path REPOSITORY = TARGET.resolve("local-repo");
    static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    private Commands() {}

    /** How a command ended: its exit status (-1 if it timed out) and its output, stdout and stderr together. */
    record Outcome(int exit, String output) {}

    /** Runs the command in dir with extra environment; returns its output (stdout and stderr) if it exits 0. */
    static String run(Path dir, Map<String, String> env, long timeoutMinutes, List<String> command) throws IOException, InterruptedException {
        Outcome o = exec(dir, env, timeoutMinutes, command);
        if (o.exit() != 0) {
            String tail = o.output().length() > 6000 ? o.output().substring(o.output().length() - 6000) : o.output();
            fail(String.join(" ", command) + (o.exit() >= 0 ? " exited with " + o.exit() : " timed out") + "; output:\n" + tail);
        }
        return o.output();
    }

    /** Runs the command in dir with extra environment, whatever its exit status. */
    static Outcome exec(Path dir, Map<String, String> env, long timeoutMinutes, List<String> command) throws IOException, InterruptedException {
        Files.createDirectories(TARGET);
        Path log = Files.createTempFile(TARGET, "command-", ".log");
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().putAll(env);
        Process p = pb.start();
        boolean done = p.waitFor(timeoutMinutes, TimeUnit.MINUTES);
        if (!done) p.destroyForcibly().waitFor();
        String output = Files.readString(log, StandardCharsets.UTF_8);
        Files.delete(log);
        return new Outcome(done ? p.exitValue() : -1, output);
    }

    /** The Maven wrapper with the private repository in front of the build's own. */
    static String mvnw(Path dir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(ROOT.resolve("mvnw").toString(), "-B", "-q", "-Dstyle.color=never",
                "-Dmaven.repo.local=" + REPOSITORY, "-Dmaven.repo.local.tail=" + TAIL));
        cmd.addAll(List.of(args));
        return run(dir, Map.of(), 15, cmd);
    }
}
