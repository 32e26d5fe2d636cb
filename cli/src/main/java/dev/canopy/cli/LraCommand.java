package dev.canopy.cli;

import dev.canopy.cli.train.Tasks;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Unmatched;

/** Long Range Arena sized runs: `canopy lra listops --preset lra` is `canopy train --task listops --preset lra`. */
@Command(name = "lra", mixinStandardHelpOptions = true,
        description = "Full-size Long Range Arena style run of a task (listops, spam, brown-match); other options as for train.")
public final class LraCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "Task: " + Tasks.NAMES + ".")
    String task;
    @Unmatched List<String> rest = new ArrayList<>();
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        List<String> args = new ArrayList<>(List.of("train", "--task", task));
        if (rest.stream().noneMatch(a -> a.equals("--preset") || a.startsWith("--preset="))) args.addAll(List.of("--preset", "lra"));
        args.addAll(rest);
        // The inner command line reports to this one's writers, so its errors land where the caller looks.
        picocli.CommandLine inner = Canopy.commandLine();
        inner.setOut(spec.commandLine().getOut());
        inner.setErr(spec.commandLine().getErr());
        return inner.execute(args.toArray(String[]::new));
    }
}
