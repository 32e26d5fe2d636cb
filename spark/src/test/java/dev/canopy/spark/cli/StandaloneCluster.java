package dev.canopy.spark.cli;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A Spark standalone cluster on 127.0.0.1 from the Maven jars, no Spark download: a SPARK_HOME whose jars/ links to
 * the test's classpath jars (Canopy's own classes excluded: the driver ships them, as it would to a real cluster), a
 * master and workers as child JVMs with Spark's JVM options. Closing stops every process it started.
 */
final class StandaloneCluster implements AutoCloseable {
    private final Path home;
    private final List<Process> processes = new ArrayList<>();
    private final Path masterLog;
    final String url;

    private StandaloneCluster(Path home, int port) {
        this.home = home;
        this.masterLog = home.resolve("master.log");
        this.url = "spark://127.0.0.1:" + port;
    }

    static StandaloneCluster start(Path home, int workers) throws IOException, InterruptedException {
        linkJars(home.resolve("jars"));
        int port = freePort();
        StandaloneCluster c = new StandaloneCluster(home, port);
        try {
            c.launch("master.log", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", Integer.toString(port),
                    "--webui-port", Integer.toString(freePort()));
            c.await(c.masterLog, "I have been elected leader", 1);
            for (int w = 0; w < workers; w++) {
                c.launch("worker-" + w + ".log", "org.apache.spark.deploy.worker.Worker", c.url, "--host", "127.0.0.1", "--cores", "1", "--memory", "1g",
                        "--webui-port", Integer.toString(freePort()), "--work-dir", home.resolve("work-" + w).toString());
            }
            c.await(c.masterLog, "Registering worker", workers);
            return c;
        } catch (IOException | InterruptedException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** The directories the workers gave their executors (one per executor that ran). */
    List<Path> executorDirs() throws IOException {
        List<Path> dirs = new ArrayList<>();
        try (Stream<Path> s = Files.walk(home, 3)) {
            s.filter(p -> p.getParent() != null && p.getParent().getFileName().toString().startsWith("app-") && Files.isDirectory(p)).forEach(dirs::add);
        }
        return dirs;
    }

    private void launch(String log, String mainClass, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx512m");
        for (String o : System.getProperty("canopy.spark.jvmArgs", "").split("\\s+")) if (!o.isBlank()) cmd.add(o);
        cmd.addAll(List.of("-cp", home.resolve("jars") + File.separator + "*", mainClass));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(home.resolve(log).toFile());
        Map<String, String> env = pb.environment();
        env.put("SPARK_HOME", home.toString());
        env.put("SPARK_SCALA_VERSION", "2.13");
        env.put("SPARK_LOCAL_IP", "127.0.0.1");
        env.put("JAVA_HOME", System.getProperty("java.home"));   // the worker starts executors with this java
        processes.add(pb.start());
    }

    /** Waits until the log holds the line count times; a minute at most. */
    private void await(Path log, String line, int count) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readAllLines(log).stream().filter(l -> l.contains(line)).count() >= count) return;
            for (Process p : processes) {
                if (!p.isAlive()) throw new IllegalStateException("a cluster process exited (" + p.exitValue() + "); see the logs in " + home);
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("no '" + line + "' x" + count + " in " + log + " within a minute:\n" + tail(log));
    }

    String logs() throws IOException {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> s = Files.walk(home)) {
            for (Path p : (Iterable<Path>) s.filter(f -> f.toString().endsWith(".log") || f.getFileName().toString().equals("stderr"))::iterator) {
                sb.append("== ").append(p).append('\n').append(tail(p));
            }
        }
        return sb.toString();
    }

    private static String tail(Path log) throws IOException {
        if (!Files.exists(log)) return "(no log)\n";
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size())) + "\n";
    }

    /** Links every jar of the test classpath but Canopy's own into jars/, as a Spark installation would hold them. */
    private static void linkJars(Path jars) throws IOException {
        Files.createDirectories(jars);
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        for (String entry : cp.split(File.pathSeparator)) {
            Path p = Path.of(entry);
            String name = p.getFileName().toString();
            if (!name.endsWith(".jar") || name.startsWith("canopy-") || !Files.isRegularFile(p)) continue;
            Path link = jars.resolve(name);
            if (!Files.exists(link)) Files.createSymbolicLink(link, p.toAbsolutePath());
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        // Workers first (they would try to reconnect to a master that went away), then the master.
        for (int i = processes.size() - 1; i >= 0; i--) {
            Process p = processes.get(i);
            p.descendants().forEach(ProcessHandle::destroy);   // executors the worker started
            p.destroy();
            try {
                if (!p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
        processes.clear();
    }

    static void deleteQuietly(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
