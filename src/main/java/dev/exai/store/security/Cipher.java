package dev.exai.store.security;

import dev.exai.store.common.ProblemException;
import dev.exai.store.common.StoreConfig;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Encryption at rest, the seam every room seals and opens stored text through (docs/security.md). Envelope encryption:
 * each tenant has a random AES-256 data key, stored only wrapped by the configured key ({@link Wrapping}); a sealed
 * value is {@link Sealed#MARK} and the base64 of (data key id, nonce, AES-256-GCM ciphertext and tag), so it opens
 * without knowing its tenant and never passes for text. Values written before encryption was turned on, or with it
 * off, are plain and open as they are. The data keys are loaded at start and, for a tenant first seen later, by
 * {@link #ready} (which admission calls before any route runs), so sealing and opening never wait for the database.
 *
 * <p>Search goes through a blind index: PostgreSQL hashes the words it makes with the tenant's blind-index key (derived
 * from its data key), which {@link #blind} hands to each statement; it is never stored.
 */
@ApplicationScoped
public class Cipher {

    private static final Logger LOG = Logger.getLogger(Cipher.class);

    /** The key a tenant's blind index hashes words with (SQL: sha256(key || word), migration V24). */
    public record Blind(byte[] key) {
    }

    private final DataKeyRows rows;
    private final Wrapping wrapping;
    private final Map<String, Sealed> byTenant = new ConcurrentHashMap<>();
    private final Map<Integer, Sealed> byId = new ConcurrentHashMap<>();
    /** Tenants whose data key is wrapped by a key this service was not given: why, to say on each use (by tenant, by key id). */
    private final Map<String, String> unwrappable = new ConcurrentHashMap<>();
    private final Map<Integer, String> unwrappableIds = new ConcurrentHashMap<>();
    /** With encryption off: tenants found to have no data key (nothing of theirs is sealed). */
    private final Set<String> keyless = ConcurrentHashMap.newKeySet();

    Cipher(DataKeyRows rows, StoreConfig config) {
        this.rows = rows;
        this.wrapping = Wrapping.of(configuredKey(config.encryption()), config.encryption().previousKeys().orElse(List.of()));
    }

    private static String configuredKey(StoreConfig.Encryption config) {
        if (config.key().isPresent() && config.keyFile().isPresent()) {
            throw new IllegalStateException("set EXAI_STORE_ENCRYPTION_KEY or EXAI_STORE_ENCRYPTION_KEY_FILE, not both");
        }
        if (config.keyFile().isPresent()) {
            try {
                return Files.readString(Path.of(config.keyFile().get()), StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                throw new IllegalStateException("EXAI_STORE_ENCRYPTION_KEY_FILE cannot be read: " + e.getMessage(), e);
            }
        }
        return config.key().orElse(null);
    }

    void start(@Observes StartupEvent event) {
        try {
            rows.all().invoke(all -> all.forEach(this::adopt)).await().atMost(Duration.ofSeconds(10));
        } catch (RuntimeException e) {
            LOG.warnf("data keys not loaded at start (%s); each tenant's is loaded on its first request", e.toString());
        }
        if (wrapping.enabled()) {
            LOG.infof("encryption at rest on: data keys wrapped by key %s", wrapping.currentId());
        }
    }

    /** Whether new values are sealed (a key is configured). */
    public boolean enabled() {
        return wrapping.enabled();
    }

    /** Whether {@link #ready} has nothing to do for the tenant. */
    public boolean isReady(String tenant) {
        return tenant == null || byTenant.containsKey(tenant) || unwrappable.containsKey(tenant)
                || (!wrapping.enabled() && (byId.isEmpty() || keyless.contains(tenant)));
    }

    /**
     * Makes the tenant's data key usable here: loads it, or, with encryption on and none stored yet, makes one. Answers
     * at once when it is loaded (or encryption is off and the tenant has none).
     */
    public Uni<Void> ready(String tenant) {
        if (isReady(tenant)) {
            return Uni.createFrom().voidItem();
        }
        return rows.ofTenant(tenant).chain(found -> {
            if (!found.isEmpty()) {
                adopt(found.get(0));
                return Uni.createFrom().voidItem();
            }
            if (!wrapping.enabled()) {
                keyless.add(tenant);
                return Uni.createFrom().voidItem();
            }
            byte[] key = Sealed.newKey();
            return rows.create(tenant, wrapping.wrap(tenant, key), wrapping.currentId()).invoke(this::adopt).replaceWithVoid();
        });
    }

    /** {@link #ready} for each of several tenants, one after another (the sealing jobs' batches). */
    public Uni<Void> ready(Collection<String> tenants) {
        Uni<Void> all = Uni.createFrom().voidItem();
        for (String tenant : new LinkedHashSet<>(tenants)) {
            all = all.chain(() -> ready(tenant));
        }
        return all;
    }

    private void adopt(DataKeyRows.Stored stored) {
        try {
            Sealed sealed = new Sealed(stored.id(), wrapping.unwrap(stored));
            byId.put(stored.id(), sealed);
            byTenant.put(stored.tenant(), sealed);
            unwrappable.remove(stored.tenant());
            unwrappableIds.remove(stored.id());
        } catch (ProblemException unusable) {
            unwrappable.put(stored.tenant(), unusable.getMessage());
            unwrappableIds.put(stored.id(), unusable.getMessage());
            LOG.errorf("the data key of tenant %s cannot be used: %s", stored.tenant(), unusable.getMessage());
        }
    }

    /** The text sealed under the tenant's data key (encryption on; {@link #ready} called), else as it is. Null passes. */
    public String seal(String tenant, String text) {
        if (text == null || !wrapping.enabled()) {
            return text;
        }
        return key(tenant).seal(text);
    }

    /**
     * The text of a stored value: a plain one as it is, a sealed one opened (several sealed values one after another,
     * as the pieces of a streamed answer read together, open to their concatenation). A value this service cannot open
     * is a 500 saying why, never the sealed bytes.
     */
    public String open(String stored) {
        if (stored == null || !stored.contains(Sealed.MARK)) {
            return stored;
        }
        int at = stored.indexOf(Sealed.MARK);
        StringBuilder text = new StringBuilder(stored.length()).append(stored, 0, at);
        while (at >= 0) {
            int next = stored.indexOf(Sealed.MARK, at + Sealed.MARK.length());
            String one = stored.substring(at + Sealed.MARK.length(), next < 0 ? stored.length() : next);
            text.append(openOne(one));
            at = next;
        }
        return text.toString();
    }

    private String openOne(String encoded) {
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(encoded);
        } catch (IllegalArgumentException e) {
            throw unusable("a stored value is marked sealed but is not (it was altered)");
        }
        return keyById(ByteBuffer.wrap(bytes, 0, 4).getInt()).open(bytes);
    }

    private Sealed keyById(int id) {
        Sealed key = byId.get(id);
        if (key == null) {
            String why = unwrappableIds.get(id);
            if (why == null) {
                // made by another replica since this one loaded its keys: load them again for the next try
                rows.all().subscribe().with(all -> all.forEach(this::adopt), e -> { });
                why = "stored text is sealed with data key " + id + ", not loaded here yet; retry";
            }
            throw unusable(why);
        }
        return key;
    }

    /**
     * A writer that seals a new blob of the tenant's ({@link SealedBlob}; {@link #ready} called), or null with encryption
     * off: the blob is then stored as it is.
     */
    public SealedBlob.Writer blobWriter(String tenant) {
        return wrapping.enabled() ? new SealedBlob.Writer(key(tenant)) : null;
    }

    /** Reads {@code length} bytes of a stored blob from {@code offset}: the blob store's range read. */
    @FunctionalInterface
    public interface BlobSource {
        InputStream read(long offset, long length) throws IOException;
    }

    /**
     * The plain bytes {@code offset .. offset + length - 1} of a sealed blob holding {@code plainSize} bytes, read from
     * {@code source}: only the segments the range needs. Blocking I/O. A blob that does not open is a 500 saying why.
     */
    public InputStream openBlob(BlobSource source, long plainSize, long offset, long length) throws IOException {
        byte[] header;
        try (InputStream in = source.read(0, SealedBlob.HEADER)) {
            header = in.readNBytes(SealedBlob.HEADER);
        }
        Sealed key = keyById(SealedBlob.keyId(header));
        long[] span = SealedBlob.Reader.span(plainSize, offset, length);
        InputStream sealed = source.read(span[0], span[1] - span[0]);
        try {
            return new SealedBlob.Reader(key, header, sealed, plainSize, offset, length);
        } catch (RuntimeException | IOException e) {
            sealed.close();
            throw e;
        }
    }

    /** The tenant's blind-index key, or null with encryption off (search and the title filter then read plain text). */
    public Blind blind(String tenant) {
        if (!wrapping.enabled()) {
            return null;
        }
        Sealed key = key(tenant);
        return new Blind(key.blindKey());
    }

    private Sealed key(String tenant) {
        Sealed key = byTenant.get(tenant);
        if (key == null) {
            String why = unwrappable.get(tenant);
            throw unusable(why != null ? why : "the data key of tenant " + tenant + " is not loaded (a request that skipped admission)");
        }
        return key;
    }

    /**
     * Rewraps every data key wrapped by a previous key with the configured one (after a rotation: ops/rotate-key), each
     * row on its own with its audit row. Answers how many were rewrapped and how many are still wrapped by a key this service lacks.
     */
    public Uni<Rewrapped> rewrap(Principal who) {
        if (!wrapping.enabled()) {
            return Uni.createFrom().failure(ProblemException.conflict("encryption at rest is off: set EXAI_STORE_ENCRYPTION_KEY first"));
        }
        return rows.all().chain(all -> {
            List<Uni<Boolean>> steps = new ArrayList<>();
            int[] lacking = {0};
            for (DataKeyRows.Stored stored : all) {
                if (stored.wrappedBy().equals(wrapping.currentId())) {
                    continue;
                }
                byte[] key;
                try {
                    key = wrapping.unwrap(stored);
                } catch (ProblemException unusable) {
                    lacking[0]++;
                    continue;
                }
                steps.add(rows.rewrap(who, stored.id(), stored.wrappedBy(), wrapping.wrap(stored.tenant(), key), wrapping.currentId()));
            }
            if (steps.isEmpty()) {
                return Uni.createFrom().item(new Rewrapped(0, lacking[0], wrapping.currentId()));
            }
            return Uni.join().all(steps).andFailFast().map(done -> new Rewrapped((int) done.stream().filter(b -> b).count(),
                    lacking[0], wrapping.currentId()));
        });
    }

    /** What a rewrap did: data keys rewrapped, those wrapped by a key not configured here, and the key they are wrapped by now. */
    @RegisterForReflection
    public record Rewrapped(int rewrapped, int unreadable, String wrappedBy) {
    }

    static ProblemException unusable(String detail) {
        return new ProblemException(500, "encryption-key", "Stored data cannot be decrypted", detail);
    }
}
