package dev.exai.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.spi.ToolProvider;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Checks what the native image build will be given, where no GraalVM exists to build it: the sources that
 * {@code -Dquarkus.native.sources-only=true} writes to {@code target/native-sources}. Runs in the
 * {@code native-sources} Maven profile ({@code .ci/run} calls it) and is skipped in a plain {@code verify}.
 * <ul>
 * <li>the native image links every class at build time ({@code --link-at-build-time}), so none of our classes may
 * refer to a class missing from the image's classpath (jdeps answers what javac and the JVM never check);</li>
 * <li>every migration is a resource the image carries;</li>
 * <li>every record of ours is registered for reflection (Jackson reads and writes it), unless it is listed below
 * as never turned into JSON.</li>
 * </ul>
 */
class NativeSourcesIT {

    /** Records that are plain values inside the service, never (de)serialized by Jackson. */
    private static final Set<String> NOT_JSON = Set.of(
            "dev.exai.store.common.Database$Refusal",
            "dev.exai.store.common.KeysetPage$After",
            "dev.exai.store.common.RedisCalls$Script",
            "dev.exai.store.common.RowQuery",
            "dev.exai.store.common.RowQuery$Filter",
            "dev.exai.store.common.RowQuery$Order",
            "dev.exai.store.common.RowSql$Column",
            "dev.exai.store.file.FileService$Stored",
            "dev.exai.store.security.Cipher$Blind",
            "dev.exai.store.security.DataKeyRows$Stored",
            "dev.exai.store.file.FileStore$Expired",
            "dev.exai.store.file.FileStore$PlainFile",
            "dev.exai.store.file.FileBytes$Sealing",
            "dev.exai.store.file.FileStore$KeyUse",
            "dev.exai.store.file.FileStore$ProviderRow",
            "dev.exai.store.file.NewFile",
            "dev.exai.store.perf.GroupKey",
            "dev.exai.store.perf.NewSample",
            "dev.exai.store.perf.RollupJob$Dirty",
            "dev.exai.store.provider.ModelProviders$Provider",
            "dev.exai.store.security.Principal",
            "dev.exai.store.session.ContextReader$Context",
            "dev.exai.store.session.ContextReader$Slice",
            "dev.exai.store.session.GroupCommit$Member",
            "dev.exai.store.session.HistoryQuery",
            "dev.exai.store.session.MessageRow",
            "dev.exai.store.session.MessageRows$Appended",
            "dev.exai.store.session.MessageRows$RowAppend",
            "dev.exai.store.session.MessageRows$UsedKey",
            "dev.exai.store.session.MessageService$AppendAnswer",
            "dev.exai.store.session.MessageService$ChainPage",
            "dev.exai.store.session.MessageService$History",
            "dev.exai.store.session.NewMessage",
            "dev.exai.store.session.NewMessageRow",
            "dev.exai.store.session.SearchFilters",
            "dev.exai.store.session.SessionCache$Cached",
            "dev.exai.store.session.SessionCache$CachedContext",
            "dev.exai.store.session.SessionFilters",
            "dev.exai.store.session.SessionInput",
            "dev.exai.store.session.SessionRow",
            "dev.exai.store.session.ChainLink",
            "dev.exai.store.session.SummaryHook$Level",
            "dev.exai.store.security.KeyRows$Accepted",
            "dev.exai.store.security.KeyRows$State",
            "dev.exai.store.security.AuthFailures$Window",
            "dev.exai.store.session.SummaryHook$Live",
            "dev.exai.store.session.SessionSummaryCache$SummaryContext",
            "dev.exai.store.session.SessionService$Created",
            "dev.exai.store.session.SessionService$SessionPatch",
            "dev.exai.store.session.SessionService$StoredCreated",
            "dev.exai.store.session.SessionTransfer$ImportedMessage",
            "dev.exai.store.session.SessionTransfer$Parsed",
            "dev.exai.store.session.StoredSession",
            "dev.exai.store.session.TransferRows$UsedImportKey",
            "dev.exai.store.session.TransferService$Imported",
            "dev.exai.store.session.StreamRows$Open",
            "dev.exai.store.session.StreamRows$Ending",
            "dev.exai.store.session.StreamRows$Finished",
            "dev.exai.store.session.StreamRows$Idle",
            "dev.exai.store.session.StreamedAnswers$Piece",
            "dev.exai.store.session.StreamedAnswers$Completion",
            "dev.exai.store.supabase.DoorTable",
            "dev.exai.store.supabase.DoorTable$DoorColumn",
            "dev.exai.store.supabase.PostgrestQuery",
            "dev.exai.store.supabase.DoorTable$Own",
            "dev.exai.store.supabase.OwnTables$OwnRow",
            "dev.exai.store.supabase.RestDoor$Selected",
            "dev.exai.store.supabase.SignedUrls$Grant",
            "dev.exai.store.supabase.StorageUploadRoute$Upload",
            "dev.exai.store.file.Bucket",
            "dev.exai.store.file.FileStore$Deleted",
            "dev.exai.store.events.EventFeed$FeedEvent",
            "dev.exai.store.events.EventFeed$Filter",
            "dev.exai.store.events.EventFeed$Place",
            "dev.exai.store.events.EventFeed$Start",
            "dev.exai.store.session.SummaryHook$Candidate",
            "dev.exai.store.session.SessionRows$Covering",
            "dev.exai.store.summary.NewSummary",
            "dev.exai.store.summary.SummaryRows$Stored",
            "dev.exai.store.summary.SummaryRows$Staled",
            "dev.exai.store.summary.SummaryRows$Sums",
            "dev.exai.store.summary.ImportedSummary",
            "dev.exai.store.summary.NewSummary$Generate",
            "dev.exai.store.session.SummaryHook$ImportLine",
            "dev.exai.store.provider.ModelProviders$ChatMessage",
            "dev.exai.store.provider.ModelProviders$Completion",
            "dev.exai.store.summary.SummaryService$Written",
            "dev.exai.store.file.StoredObject",
            "dev.exai.store.file.IncomingUpload$Received");

    private static final Path SOURCES = Path.of("target", "native-sources");
    private static Path runner;

    @BeforeAll
    static void nativeSourcesWereWritten() throws IOException {
        assumeTrue(Boolean.getBoolean("native.sources.check"),
                "the native sources check runs with -Pnative-sources (bash .ci/run does)");
        try (Stream<Path> files = Files.list(SOURCES)) {
            runner = files.filter(p -> p.getFileName().toString().endsWith("-runner.jar")).findFirst()
                    .orElseThrow(() -> new AssertionError("no runner jar in " + SOURCES));
        }
    }

    @Test
    void noClassOfOursRefersToAClassTheImageWillNotHave() throws IOException {
        String classpath;
        try (Stream<Path> libs = Files.walk(SOURCES.resolve("lib"))) {
            classpath = libs.filter(p -> p.toString().endsWith(".jar")).map(Path::toString)
                    .collect(Collectors.joining(java.io.File.pathSeparator));
        }
        ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8)) {
            jdeps.run(print, print, "--multi-release", "17", "-verbose:class", "-filter:none",
                    "-cp", classpath, runner.toString());
        }
        List<String> missing = out.toString(StandardCharsets.UTF_8).lines()
                .filter(line -> line.trim().startsWith("dev.exai.store.") && line.endsWith("not found"))
                .map(String::trim)
                .toList();
        assertThat(missing).as("classes of ours referring to classes missing from the native image").isEmpty();
    }

    @Test
    void everyMigrationIsAnImageResource() throws IOException {
        JsonNode resources = readJson("META-INF/native-image/resource-config.json");
        String patterns = resources.path("resources").path("includes").toString();
        try (Stream<Path> sql = Files.list(Path.of("migrations"))) {
            List<String> migrations = sql.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".sql")).toList();
            assertThat(migrations).isNotEmpty();
            for (String migration : migrations) {
                assertThat(patterns).as("migration %s in the native image resources", migration)
                        .contains("db/migration/" + migration);
            }
        }
        assertThat(patterns).as("the tokenizer's vocabulary in the native image resources").contains("com/knuddels/jtokkit/o200k_base");
    }

    @Test
    void everyJsonRecordIsRegisteredForReflection() throws IOException {
        Set<String> registered = new HashSet<>();
        readJson("META-INF/native-image/reflect-config.json").forEach(entry -> registered.add(entry.path("name").asText()));
        List<String> unregistered = new ArrayList<>();
        try (Stream<Path> classes = Files.walk(Path.of("target", "classes"))) {
            for (Path file : classes.filter(p -> p.toString().endsWith(".class")).toList()) {
                String name = Path.of("target", "classes").relativize(file).toString()
                        .replace(".class", "").replace(java.io.File.separatorChar, '.');
                if (isRecord(name) && !NOT_JSON.contains(name) && !registered.contains(name)) {
                    unregistered.add(name);
                }
            }
        }
        assertThat(unregistered)
                .as("records not registered for reflection: add @RegisterForReflection or list them as never JSON")
                .isEmpty();
    }

    private static boolean isRecord(String className) {
        try {
            return Class.forName(className, false, NativeSourcesIT.class.getClassLoader()).isRecord();
        } catch (ClassNotFoundException e) {
            throw new AssertionError(e);
        }
    }

    private static JsonNode readJson(String entry) throws IOException {
        try (ZipFile jar = new ZipFile(runner.toFile()); InputStream in = jar.getInputStream(jar.getEntry(entry))) {
            return new ObjectMapper().readTree(in);
        }
    }
}
