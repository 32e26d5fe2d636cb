package dev.canopy.spark.cli;

import dev.canopy.bert.SentenceEncoder;
import dev.canopy.spark.CanopyEmbedder;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * The jars an executor needs for Canopy's classes (this module and core; picocli stays on the driver). Where the
 * classes come from a directory (a build's target/classes, as in tests), that directory is packed into a temporary
 * jar, since Spark ships jars, not directories.
 */
final class CanopyJars {
    private CanopyJars() {}

    static List<Path> forExecutors() {
        Set<Path> sources = new LinkedHashSet<>();
        for (Class<?> c : new Class<?>[] {CanopyEmbedder.class, SentenceEncoder.class}) sources.add(location(c));
        return sources.stream().map(p -> Files.isDirectory(p) ? packed(p) : p).toList();
    }

    private static Path location(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("cannot tell which jar holds " + c.getName() + " to ship it to the executors", e);
        }
    }

    private static Path packed(Path classes) {
        try {
            Path jar = Files.createTempFile("canopy-classes-", ".jar");
            jar.toFile().deleteOnExit();
            try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out); Stream<Path> files = Files.walk(classes)) {
                for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                    j.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
                    Files.copy(f, j);
                    j.closeEntry();
                }
            }
            return jar;
        } catch (IOException e) {
            throw new UncheckedIOException("packing " + classes + " into a jar for the executors", e);
        }
    }
}
