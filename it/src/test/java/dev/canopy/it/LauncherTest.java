package dev.canopy.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which Maven {@code ./canopy} builds with: none on PATH or one older than 3.8 means the wrapper's pinned Maven.
 * {@code ./canopy test -v} goes through the same choice and only prints the chosen Maven's version.
 */
class LauncherTest {
    @TempDir Path dir;

    static String pinnedVersion() throws IOException {
        Properties p = new Properties();
        try (var in = Files.newInputStream(Commands.ROOT.resolve(".mvn/wrapper/maven-wrapper.properties"))) {
            p.load(in);
        }
        return p.getProperty("mavenVersion");
    }

    @Test
    void withoutMavenOnPathTheWrapperBuilds() throws Exception {
        String out = Commands.run(Commands.ROOT, Map.of(), 10,
                List.of(Commands.ROOT.resolve(".ci/without-maven").toString(), Commands.ROOT.resolve("canopy").toString(), "test", "-v"));
        assertTrue(out.contains("Apache Maven " + pinnedVersion()), out);
    }

    @Test
    void anOldMavenIsPassedOverAndARecentOneUsed() throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin")), lib = Files.createDirectories(dir.resolve("lib"));
        Path mvn = Files.writeString(bin.resolve("mvn"), "#!/bin/sh\necho \"fake maven $*\"\n");
        Files.setPosixFilePermissions(mvn, PosixFilePermissions.fromString("rwxr-xr-x"));
        Map<String, String> env = Map.of("PATH", bin + ":" + System.getenv("PATH"));
        List<String> cmd = List.of(Commands.ROOT.resolve("canopy").toString(), "test", "-v");

        Path jar = Files.createFile(lib.resolve("maven-core-3.6.3.jar"));
        String old = Commands.run(Commands.ROOT, env, 10, cmd);
        assertTrue(old.contains("Apache Maven " + pinnedVersion()) && !old.contains("fake maven"), old);

        Files.move(jar, lib.resolve("maven-core-3.9.2.jar"));
        String recent = Commands.run(Commands.ROOT, env, 10, cmd);
        assertTrue(recent.contains("fake maven -B -Dstyle.color=never test -v"), recent);
    }
}
