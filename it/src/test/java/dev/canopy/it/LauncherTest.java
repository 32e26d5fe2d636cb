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

    /** The launcher and wrapper alone in a folder, so that a build they start can only touch that folder. */
    private Path launcherCopy() throws IOException {
        Path copy = Files.createDirectories(dir.resolve("copy/.mvn/wrapper")).getParent().getParent();
        Files.createDirectories(copy.resolve("cli")); // where the launcher writes its build log
        for (String f : new String[] {"canopy", "mvnw", ".mvn/wrapper/maven-wrapper.properties"}) {
            Files.copy(Commands.ROOT.resolve(f), copy.resolve(f), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        }
        return copy;
    }

    @Test
    void theBuildRunsThroughTheChosenMaven() throws Exception {
        Path copy = launcherCopy();
        // No Maven on PATH: the wrapper's Maven runs the build, and finds no project in this bare folder (3.9 says so
        // in one of two ways, depending on whether it looked for the module or the POM first).
        Commands.Outcome wrapped = Commands.exec(copy, Map.of(), 10,
                List.of(Commands.ROOT.resolve(".ci/without-maven").toString(), copy.resolve("canopy").toString(), "--help"));
        assertTrue(wrapped.exit() != 0 && wrapped.output().matches("(?s).*(there is no POM in this directory|Could not find the selected project in the reactor: cli).*"),
                wrapped.output());

        // A recent Maven on PATH builds instead; this one records its arguments and succeeds.
        Path bin = Files.createDirectories(dir.resolve("bin")), lib = Files.createDirectories(dir.resolve("lib"));
        Path args = dir.resolve("args");
        executable(bin.resolve("mvn"), "#!/bin/sh\necho \"$*\" >> '" + args + "'\n");
        Files.createFile(lib.resolve("maven-core-3.9.2.jar"));
        Commands.exec(copy, Map.of("PATH", bin + ":" + System.getenv("PATH")), 10, List.of(copy.resolve("canopy").toString(), "--help"));
        assertTrue(Files.readString(args).contains("-B -q -Dstyle.color=never -DskipTests -pl cli -am package"), Files.readString(args));
    }

    /**
     * The launcher asks for G1, unless CANOPY_JAVA_OPTS names a collector of its own: Java refuses to start with two.
     * A fake JDK (the newest the launcher can find) records the arguments it is started with.
     */
    @Test
    void aCollectorInCanopyJavaOptsReplacesTheLaunchers() throws Exception {
        Path copy = launcherCopy();
        Files.createDirectories(copy.resolve("cli/target")); // where the build's stamp goes; the fake Maven builds nothing
        Path bin = Files.createDirectories(dir.resolve("bin")), lib = Files.createDirectories(dir.resolve("lib"));
        Files.createFile(lib.resolve("maven-core-3.9.2.jar"));
        executable(bin.resolve("mvn"), "#!/bin/sh\n");
        Path jdk = Files.createDirectories(dir.resolve("jdk/bin")).getParent(), args = dir.resolve("java-args");
        executable(jdk.resolve("bin/javac"), "#!/bin/sh\n");
        executable(jdk.resolve("bin/java"), "#!/bin/sh\ncase \"$*\" in *-XshowSettings*) echo '    java.specification.version = 99' >&2 ;;\n"
                + "*) echo \"$*\" > '" + args + "' ;; esac\n");
        String path = bin + ":" + System.getenv("PATH");

        Commands.exec(copy, Map.of("PATH", path, "JAVA_HOME", jdk.toString()), 10, List.of(copy.resolve("canopy").toString(), "--help"));
        assertTrue(Files.readString(args).contains("-XX:+UseG1GC"), Files.readString(args));

        Commands.exec(copy, Map.of("PATH", path, "JAVA_HOME", jdk.toString(), "CANOPY_JAVA_OPTS", "-Xmx2g -XX:+UseParallelGC"), 10,
                List.of(copy.resolve("canopy").toString(), "--help"));
        String chosen = Files.readString(args);
        assertTrue(chosen.contains("-Xmx2g -XX:+UseParallelGC") && !chosen.contains("G1"), chosen);
    }

    private static void executable(Path file, String script) throws IOException {
        Files.writeString(file, script);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void anOldMavenIsPassedOverAndARecentOneUsed() throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin")), lib = Files.createDirectories(dir.resolve("lib"));
        executable(bin.resolve("mvn"), "#!/bin/sh\necho \"fake maven $*\"\n");
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
