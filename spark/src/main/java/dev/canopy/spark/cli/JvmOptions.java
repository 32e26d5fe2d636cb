package dev.canopy.spark.cli;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.launcher.JavaModuleOptions;

/**
 * Prints the JVM options Spark needs on JDK 17+ (module opens and the like), from Spark's own list, on one line. The
 * launcher runs this once after a build and starts {@code canopy spark} with them, so users never set them. An
 * {@code --add-opens} for a package this JDK no longer has (JDK 25 dropped sun.security.action) is left out, since
 * the JVM would warn about it on every start.
 */
public final class JvmOptions {
    private JvmOptions() {}

    public static void main(String[] args) {
        System.out.println(String.join(" ", applicable(JavaModuleOptions.defaultModuleOptionArray())));
    }

    static List<String> applicable(String[] options) {
        List<String> out = new ArrayList<>();
        for (String o : options) if (!o.startsWith("--add-opens=") || packageExists(o.substring("--add-opens=".length()))) out.add(o);
        return out;
    }

    /** For "module/package=target": whether the module exists and has the package. */
    private static boolean packageExists(String spec) {
        int slash = spec.indexOf('/'), eq = spec.indexOf('=');
        if (slash < 0 || eq < slash) return true;  // not a form we know: keep it
        String module = spec.substring(0, slash), pkg = spec.substring(slash + 1, eq);
        return ModuleLayer.boot().findModule(module).map(m -> m.getPackages().contains(pkg)).orElse(false);
    }
}
