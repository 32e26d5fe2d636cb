package dev.canopy.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/**
 * The public API's Javadoc builds with every doclint check on and not one warning (the javadoc plugin is configured
 * with failOnWarnings in the parent pom; core's configuration lists which classes are the API).
 */
class JavadocTest {
    @Test
    void publicApiJavadocHasNoWarnings() throws Exception {
        Commands.mvnw(Commands.ROOT, "-pl", "core,langchain4j", "-am", "compile", "javadoc:javadoc");
        for (String module : new String[] {"core", "langchain4j"}) {
            assertTrue(Files.isRegularFile(Commands.ROOT.resolve(module + "/target/reports/apidocs/index.html")), module);
        }
        assertTrue(Files.isRegularFile(Commands.ROOT.resolve("core/target/reports/apidocs/dev/canopy/bert/BertEncoder.html")));
    }
}
