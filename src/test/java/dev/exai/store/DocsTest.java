package dev.exai.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The README stays a five-minute read that maps every page of docs/, and the project's pages link only inside the
 * project: every relative link resolves, and nothing points at the contract's old home outside the repository.
 */
class DocsTest {

    private static final Pattern LINK = Pattern.compile("\\]\\(([^)#\\s]+)(#[^)]*)?\\)");

    @Test
    void theReadmeIsShortAndMapsEveryDocsPage() throws IOException {
        Path readme = Path.of("README.md");
        assertThat(Files.size(readme)).as("README.md bytes").isLessThan(12 * 1024);
        String text = Files.readString(readme);
        try (Stream<Path> pages = Files.list(Path.of("docs"))) {
            for (Path page : pages.filter(p -> p.toString().endsWith(".md")).toList()) {
                assertThat(text).as("README links %s", page).contains("](docs/" + page.getFileName() + ")");
            }
        }
    }

    @Test
    void everyRelativeLinkResolvesInsideTheProject() throws IOException {
        List<Path> pages = new ArrayList<>(List.of(Path.of("README.md"), Path.of("clients", "python", "README.md")));
        try (Stream<Path> docs = Files.list(Path.of("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).forEach(pages::add);
        }
        Path root = Path.of("").toAbsolutePath();
        for (Path page : pages) {
            Matcher links = LINK.matcher(Files.readString(page));
            while (links.find()) {
                String target = links.group(1);
                if (target.contains("://")) {
                    continue;
                }
                Path resolved = page.toAbsolutePath().getParent().resolve(target).normalize();
                assertThat(resolved).as("%s links %s", page, target).exists();
                assertThat(resolved.startsWith(root)).as("%s links %s outside the project", page, target).isTrue();
            }
        }
    }

    @Test
    void nothingPointsAtTheSharedFolder() throws IOException {
        for (Path tree : List.of(Path.of("README.md"), Path.of("docs"), Path.of("src"), Path.of("clients"))) {
            try (Stream<Path> files = Files.walk(tree)) {
                for (Path file : files.filter(Files::isRegularFile).filter(DocsTest::isText).toList()) {
                    assertThat(Files.readString(file)).as(file.toString()).doesNotContain("shared" + "/");
                }
            }
        }
    }

    private static boolean isText(Path file) {
        String name = file.getFileName().toString();
        return Stream.of(".md", ".java", ".py", ".properties", ".yaml", ".js", ".html", ".css", ".toml").anyMatch(name::endsWith);
    }
}
