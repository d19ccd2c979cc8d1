package dev.exai.store.file;

import dev.exai.store.common.Hashing;
import dev.exai.store.common.ProblemException;
import dev.exai.store.security.Cipher;
import dev.exai.store.security.SealedBlob;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.streams.Pipe;
import io.vertx.core.streams.WriteStream;
import io.vertx.ext.web.RoutingContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Receives one streamed upload body (raw, or one file part of a multipart form) into a file in the uploads
 * directory while its sha256 and size are computed, so memory use does not grow with the file. Both upload routes
 * use it: the native {@code POST /files} and the Supabase door's object uploads, which answer failures each in its
 * own dialect. Past the byte limit the upload fails at once with a 413 and the connection closes after the answer
 * (the rest of the body is not read); a failed upload's file is deleted. With encryption at rest the bytes are sealed
 * on their way to the file ({@link SealedBlob}), so they reach the disk only sealed.
 */
public final class IncomingUpload {

    private static final Logger LOG = Logger.getLogger(IncomingUpload.class);
    private static final int WRITE_QUEUE_BYTES = 4 * 1024 * 1024;
    private static final int WRITE_CHUNK_BYTES = 256 * 1024;

    /**
     * A completely received body: its bytes in {@code path} (deleted by whoever stores or drops them; sealed with
     * encryption on), the name of the blob they become, the client's filename and content type (either may be null),
     * and the first bytes for sniffing the type.
     */
    public record Received(Path path, long size, String sha256, String blob, byte[] head, String filename, String claimedType) {
    }

    private final RoutingContext ctx;
    private final Path path;
    private final long maxBytes;
    private final String tooLargeDetail;
    /** Seals the bytes before they are written (encryption at rest), or null. */
    private final SealedBlob.Writer sealer;
    private final Promise<Received> result = Promise.promise();
    private Future<AsyncFile> opening;
    private Future<Void> body = Future.succeededFuture();
    private final MessageDigest sha256 = Hashing.sha256();
    private final byte[] head = new byte[ContentTypes.SNIFF_BYTES];
    private Buffer pending = Buffer.buffer(WRITE_CHUNK_BYTES);
    private String partName;
    private String filename;
    private String claimedType;
    private long size;
    private boolean sawFile;
    private boolean done;
    /** A write to the upload file that failed; the pipe may have ended before its failure arrived. */
    private Throwable failedWrite;

    private IncomingUpload(RoutingContext ctx, Path path, SealedBlob.Writer sealer, long maxBytes, String tooLargeDetail) {
        this.ctx = ctx;
        this.sealer = sealer;
        this.path = path;
        this.maxBytes = maxBytes;
        this.tooLargeDetail = tooLargeDetail;
    }

    /**
     * Starts receiving the paused request's body for the tenant, once its data key is ready. A multipart form's file is the part named {@code partName}, or,
     * when that is null, the first part that has a filename; other parts are read as form attributes. A raw body's
     * filename is {@code rawFilename}. The future fails with a {@link ProblemException} for the client's faults
     * (413 past {@code maxBytes} with {@code tooLargeDetail}, 400 for a form without the file), else with the I/O
     * failure.
     */
    public static Future<Received> start(RoutingContext ctx, Vertx vertx, Path uploads, Cipher cipher, String tenant, long maxBytes,
                                         String tooLargeDetail, String partName, String rawFilename) {
        Future<Void> ready = cipher.isReady(tenant) ? Future.succeededFuture()
                : Future.fromCompletionStage(cipher.ready(tenant).subscribeAsCompletionStage(), ctx.vertx().getOrCreateContext());
        return ready.compose(keyReady -> {
            IncomingUpload upload = new IncomingUpload(ctx, uploads.resolve(UUID.randomUUID() + ".part"), cipher.blobWriter(tenant),
                    maxBytes, tooLargeDetail);
            upload.begin(vertx, partName, rawFilename);
            return upload.result.future();
        });
    }

    /** Whether the request carries a multipart form. */
    public static boolean isMultipart(HttpServerRequest request) {
        String contentType = request.getHeader(HttpHeaders.CONTENT_TYPE);
        return contentType != null && contentType.toLowerCase().startsWith("multipart/form-data");
    }

    private void begin(Vertx vertx, String partName, String rawFilename) {
        this.partName = partName;
        HttpServerRequest request = ctx.request();
        if ("100-continue".equalsIgnoreCase(request.getHeader(HttpHeaders.EXPECT))) {
            ctx.response().writeContinue(); // the request passed the checks: ask the client for the body now
        }
        // Handlers are attached before anything asynchronous happens, so no byte can arrive unobserved;
        // the pipes hold the data back until the upload file is open.
        Promise<AsyncFile> opened = Promise.promise();
        opening = opened.future();
        request.exceptionHandler(this::abort);
        boolean multipart = isMultipart(request);
        if (multipart) {
            request.setExpectMultipart(true);
            request.uploadHandler(part -> {
                boolean wanted = partName != null ? partName.equals(part.name()) : part.filename() != null && !part.filename().isEmpty();
                if (wanted && !sawFile) {
                    filename = part.filename();
                    claimedType = part.contentType();
                    body = receive(part.pipe());
                } else {
                    part.handler(ignored -> { });
                }
            });
            request.endHandler(v -> body.onComplete(received -> finish(received.cause())));
        } else {
            filename = rawFilename;
            claimedType = request.getHeader(HttpHeaders.CONTENT_TYPE);
            body = receive(request.pipe());
            body.onComplete(received -> finish(received.cause()));
        }
        vertx.fileSystem().open(path.toString(), new OpenOptions().setWrite(true).setCreateNew(true), opened);
        if (multipart) {
            request.resume(); // parts are parsed now; each file part's pipe holds its data until the file is open
        }
    }

    /** Pipes one stream into the upload file once it is open; the pipe applies back-pressure both ways. */
    private Future<Void> receive(Pipe<Buffer> pipe) {
        sawFile = true;
        return opening.compose(file -> {
            // let file writes queue up to a few MiB so the disk is not waited for chunk by chunk
            file.setWriteQueueMaxSize(WRITE_QUEUE_BYTES);
            return pipe.endOnComplete(false).to(new Counting(file));
        });
    }

    /** The upload file as a write stream that hashes, counts and enforces the limit on the way. */
    private final class Counting implements WriteStream<Buffer> {
        private final AsyncFile file;

        Counting(AsyncFile file) {
            this.file = file;
        }

        @Override
        public Future<Void> write(Buffer buffer) {
            if (done) {
                return Future.failedFuture("upload already ended");
            }
            int n = buffer.length();
            if (size + n > maxBytes) {
                ProblemException tooLarge = ProblemException.tooLarge(tooLargeDetail);
                abort(tooLarge);
                return Future.failedFuture(tooLarge);
            }
            if (size < head.length) {
                buffer.getBytes(0, (int) Math.min(n, head.length - size), head, (int) size);
            }
            size += n;
            sha256.update(buffer.getByteBuf().nioBuffer());
            // HTTP delivers the body in small chunks; each file write is a trip to a worker thread, so they are
            // gathered into writes of WRITE_CHUNK_BYTES
            pending.appendBuffer(buffer);
            if (pending.length() < WRITE_CHUNK_BYTES) {
                return Future.succeededFuture();
            }
            return file.write(takePending()).onFailure(e -> failedWrite = e);
        }

        @Override
        public void write(Buffer buffer, Handler<AsyncResult<Void>> handler) {
            write(buffer).onComplete(handler);
        }

        @Override
        public void end(Handler<AsyncResult<Void>> handler) {
            handler.handle(Future.succeededFuture());
        }

        @Override
        public WriteStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
            file.exceptionHandler(handler);
            return this;
        }

        @Override
        public WriteStream<Buffer> setWriteQueueMaxSize(int maxSize) {
            file.setWriteQueueMaxSize(maxSize);
            return this;
        }

        @Override
        public boolean writeQueueFull() {
            return file.writeQueueFull();
        }

        @Override
        public WriteStream<Buffer> drainHandler(Handler<Void> handler) {
            file.drainHandler(handler);
            return this;
        }
    }

    /**
     * The gathered bytes to write now: all of them, or with encryption on, sealed, the whole segments that more bytes
     * follow (the last segment is sealed as the last one at the end).
     */
    private Buffer takePending() {
        Buffer full = pending;
        if (sealer == null) {
            pending = Buffer.buffer(WRITE_CHUNK_BYTES * 2);
            return full;
        }
        int whole = (full.length() - 1) / SealedBlob.SEGMENT * SealedBlob.SEGMENT;
        pending = Buffer.buffer(WRITE_CHUNK_BYTES * 2).appendBuffer(full, whole, full.length() - whole);
        return Buffer.buffer(sealer.seal(full.getBytes(0, whole), 0, whole, false));
    }

    /** The rest of the bytes to write at the end: sealed as the last segment with encryption on (an empty file too). */
    private Buffer lastBytes() {
        if (sealer == null) {
            return pending;
        }
        byte[] rest = pending.getBytes();
        return Buffer.buffer(sealer.seal(rest, 0, rest.length, true));
    }

    private void abort(Throwable failure) {
        if (done) {
            return;
        }
        done = true;
        opening.onComplete(opened -> {
            if (opened.succeeded()) {
                opened.result().close(closed -> deleteQuietly(path));
            }
        });
        // the answer goes now and the connection closes once it is out: the rest of the body is not read
        ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
        ctx.response().endHandler(v -> ctx.request().connection().close());
        result.tryFail(failure);
    }

    private void finish(Throwable receiveFailure) {
        if (receiveFailure != null) {
            abort(receiveFailure);
            return;
        }
        if (done) {
            return;
        }
        done = true;
        // the bytes reach the disk (flush forces them) before anything that names them is committed
        Buffer last = lastBytes();
        opening.compose(opened -> last.length() == 0 ? Future.<Void>succeededFuture() : opened.write(last))
                .compose(written -> opening.result().flush())
                .compose(flushed -> opening.result().close()).onComplete(closed -> {
                    // close waits for every write, so a write that failed after the pipe ended is known by now
                    Throwable failure = closed.failed() ? closed.cause() : failedWrite;
                    if (failure != null) {
                        deleteQuietly(path);
                        result.tryFail(failure);
                    } else if (!sawFile) {
                        deleteQuietly(path);
                        result.tryFail(ProblemException.badRequest(partName == null ? "the multipart form has no part with a filename"
                                : "the multipart form has no part named " + partName));
                    } else {
                        String sha = HexFormat.of().formatHex(sha256.digest());
                        result.tryComplete(new Received(path, size, sha, sealer == null ? sha : sealer.blobName(sha),
                                Arrays.copyOf(head, (int) Math.min(size, head.length)), filename, claimedType));
                    }
                });
    }

    /** Deletes an upload file that will not be stored; a failure is only logged. */
    public static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (java.io.IOException e) {
            LOG.warnf("cannot delete upload %s: %s", path, e);
        }
    }
}
