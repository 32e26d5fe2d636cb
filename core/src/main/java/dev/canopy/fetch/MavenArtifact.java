package dev.canopy.fetch;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** One jar on Maven Central, taken from the local Maven repository or fetched with mvn (no transitive dependencies). */
public record MavenArtifact(String group, String artifactId, String version) {

    public String coordinates() {
        return group + ":" + artifactId + ":" + version;
    }

    /** The jar: from the local repository if present, else from {@code dir} if fetched before, else fetched into it. */
    public Path jar(Path dir, Consumer<String> log) throws IOException {
        String file = artifactId + "-" + version + ".jar";
        Path local = localRepository().resolve(group.replace('.', '/')).resolve(artifactId).resolve(version).resolve(file);
        if (Files.isRegularFile(local)) return local;
        Path downloaded = dir.resolve(file);
        if (Files.isRegularFile(downloaded)) return downloaded;
        Files.createDirectories(dir);
        String artifact = coordinates();
        log.accept("fetching " + artifact + " from Maven Central with mvn (once)");
        List<String> cmd = List.of(mavenCommand(), "-B", "-q",
                "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy",
                "-Dartifact=" + artifact + ":jar", "-DoutputDirectory=" + dir, "-Dtransitive=false");
        Process p;
        try {
            p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException ex) {
            throw new IOException("cannot run Maven to fetch " + artifact + " (" + ex.getMessage()
                    + "); install Maven, or put the jar in " + local.getParent(), ex);
        }
        String output;
        try (InputStream in = p.getInputStream()) {
            output = new String(in.readAllBytes());
            if (!p.waitFor(30, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IOException("Maven did not finish fetching " + artifact);
            }
        } catch (InterruptedException ex) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while fetching " + artifact, ex);
        }
        if (p.exitValue() != 0 || !Files.isRegularFile(downloaded)) {
            String tail = output.length() > 2000 ? output.substring(output.length() - 2000) : output;
            throw new IOException("fetching " + artifact + " with '" + String.join(" ", cmd) + "' failed (exit " + p.exitValue() + "):\n" + tail);
        }
        return downloaded;
    }

    private static Path localRepository() {
        String configured = System.getProperty("maven.repo.local");
        if (configured != null && !configured.isBlank()) return Path.of(configured);
        return Path.of(System.getProperty("user.home"), ".m2", "repository");
    }

    private static String mavenCommand() {
        String home = System.getenv("MAVEN_HOME");
        if (home != null && Files.isExecutable(Path.of(home, "bin", "mvn"))) return Path.of(home, "bin", "mvn").toString();
        return "mvn";
    }
}
