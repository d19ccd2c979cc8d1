package dev.exai.store.file;

import dev.exai.store.common.ContinuationIds;
import dev.exai.store.common.Page;
import dev.exai.store.common.Problem;
import dev.exai.store.common.ProblemException;
import dev.exai.store.security.Principal;
import io.smallrye.mutiny.Uni;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Pattern;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * HTTP routes of files other than the streamed upload ({@link UploadRoute}): metadata, ranged and conditional
 * downloads, listing, deletion, and the model providers' copies of a file.
 */
@Path("/files")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "files")
public class FileResource {

    private static final Pattern SHA256 = Pattern.compile("[0-9a-fA-F]{64}");

    private final FileService files;

    public FileResource(FileService files) {
        this.files = files;
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "A file's metadata")
    public Uni<Response> get(@Context ContainerRequestContext request, @PathParam("id") String id) {
        return files.getJson(Principal.of(request), fileId(id)).map(body -> Response.ok(body, MediaType.APPLICATION_JSON_TYPE).build());
    }

    @GET
    @Operation(summary = "List files, newest first, optionally of one session or with given content (sha256)")
    public Uni<Page<FileView>> list(@Context ContainerRequestContext request,
                                    @QueryParam("session_id") String sessionId,
                                    @QueryParam("sha256") String sha256,
                                    @QueryParam("limit") @DefaultValue("50")
                                    @Min(value = 1, message = "limit must be between 1 and 200")
                                    @Max(value = 200, message = "limit must be between 1 and 200") int limit,
                                    @QueryParam("cursor") String cursor) {
        if (sessionId != null) {
            ContinuationIds.checked(sessionId);
        }
        if (sha256 != null && !SHA256.matcher(sha256).matches()) {
            throw ProblemException.badRequest("sha256 must be 64 hexadecimal digits");
        }
        return files.list(Principal.of(request), sessionId, sha256 == null ? null : sha256.toLowerCase(Locale.ROOT), limit, cursor);
    }

    @DELETE
    @Path("/{id}")
    @Produces(MediaType.WILDCARD) // no body to negotiate: any Accept is fine (a generated client sends its error type)
    @Operation(summary = "Delete a file; its bytes go when no other file has the same")
    public Uni<Response> delete(@Context ContainerRequestContext request, @PathParam("id") String id) {
        return files.delete(Principal.of(request), fileId(id)).map(done -> Response.noContent().build());
    }

    @GET
    @Path("/{id}/content")
    @Produces(MediaType.WILDCARD)
    @Operation(summary = "The bytes, streamed; honours Range (206, 416) and If-None-Match (304)")
    public Uni<Response> content(@Context ContainerRequestContext request, @PathParam("id") String id,
                                 @HeaderParam("Range") String range, @HeaderParam(HttpHeaders.IF_NONE_MATCH) String ifNoneMatch) {
        return files.get(Principal.of(request), fileId(id)).chain(file -> {
            String etag = "\"" + file.sha256() + "\"";
            if (ifNoneMatch != null && matches(ifNoneMatch, etag)) {
                return Uni.createFrom().item(Response.notModified().header(HttpHeaders.ETAG, etag).build());
            }
            long[] slice = range(range, file.size());
            if (slice == null) {
                return Uni.createFrom().item(Response.status(416)
                        .header("Content-Range", "bytes */" + file.size())
                        .type(Problem.MEDIA_TYPE)
                        .entity(Problem.of(416, "range-not-satisfiable", "Range not satisfiable",
                                "the file has " + file.size() + " bytes; the Range asks for none of them"))
                        .build());
            }
            long offset = slice[0];
            long length = slice[1];
            boolean partial = length != file.size();
            return files.read(file, offset, length).map(entity -> {
                Response.ResponseBuilder answer = Response.status(partial ? 206 : 200).entity(entity)
                        .type(file.contentType())
                        .header(HttpHeaders.ETAG, etag)
                        .header("Accept-Ranges", "bytes")
                        .header(HttpHeaders.CONTENT_DISPOSITION, disposition(file.filename()))
                        .header("X-Content-Type-Options", "nosniff");
                if (!(entity instanceof org.jboss.resteasy.reactive.PathPart)) {
                    answer.header(HttpHeaders.CONTENT_LENGTH, length);
                }
                if (partial) {
                    answer.header("Content-Range", "bytes " + offset + "-" + (offset + length - 1) + "/" + file.size());
                }
                return answer.build();
            });
        });
    }

    @POST
    @Path("/{id}/providers/{provider}")
    @Operation(summary = "Upload the file to a model provider's file API (kimi, glm) unless it is there; 201 first time, 200 after")
    public Uni<Response> toProvider(@Context ContainerRequestContext request, @PathParam("id") String id,
                                    @PathParam("provider") String provider) {
        return files.toProvider(Principal.of(request), fileId(id), provider)
                .map(stored -> Response.status(stored.created() ? 201 : 200).entity(stored.file()).build());
    }

    @GET
    @Path("/{id}/providers/{provider}/content")
    @Operation(summary = "The provider's extracted text of the file, fetched once and then kept")
    public Uni<ExtractedText> providerText(@Context ContainerRequestContext request, @PathParam("id") String id,
                                           @PathParam("provider") String provider) {
        return files.providerText(Principal.of(request), fileId(id), provider)
                .map(text -> new ExtractedText(id, provider, text));
    }

    /** The text a provider extracted from a file. */
    public record ExtractedText(String fileId, String provider, String content) {
    }

    /** {offset, length} of a single satisfiable byte range; the whole file without (or with an unusable) Range; null if unsatisfiable. */
    static long[] range(String header, long size) {
        if (header == null || !header.startsWith("bytes=") || header.contains(",")) {
            return new long[] {0, size};
        }
        String spec = header.substring(6).trim();
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return new long[] {0, size};
        }
        try {
            String first = spec.substring(0, dash).trim();
            String last = spec.substring(dash + 1).trim();
            if (first.isEmpty()) {
                long suffix = Long.parseLong(last);
                if (suffix <= 0 || size == 0) {
                    return null;
                }
                long length = Math.min(suffix, size);
                return new long[] {size - length, length};
            }
            long start = Long.parseLong(first);
            long end = last.isEmpty() ? size - 1 : Math.min(Long.parseLong(last), size - 1);
            if (start >= size || end < start) {
                return null;
            }
            return new long[] {start, end - start + 1};
        } catch (NumberFormatException e) {
            return new long[] {0, size};
        }
    }

    private static boolean matches(String ifNoneMatch, String etag) {
        for (String candidate : ifNoneMatch.split(",")) {
            String tag = candidate.trim();
            if (tag.equals("*") || tag.equals(etag) || tag.equals("W/" + etag)) {
                return true;
            }
        }
        return false;
    }

    /**
     * RFC 6266: an ASCII fallback in quotes plus the exact name, percent-encoded as UTF-8; only the last path segment,
     * also for names stored before uploads dropped directory parts.
     */
    static String disposition(String stored) {
        String filename = lastSegment(stored).isBlank() ? stored : lastSegment(stored);
        StringBuilder ascii = new StringBuilder();
        StringBuilder encoded = new StringBuilder();
        filename.codePoints().forEach(c -> ascii.append(c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? (char) c : '_'));
        for (byte b : filename.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "!#$&+-.^_`|~".indexOf(c) >= 0) {
                encoded.append((char) c);
            } else {
                encoded.append('%').append(String.format("%02X", c));
            }
        }
        return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
    }

    /**
     * The last non-empty path segment of a name, '/' and backslash both separating (clients on any system may send a
     * path): {@code ../../etc/passwd} gives {@code passwd}, {@code some/dir/} gives {@code dir}, {@code /} gives "".
     */
    static String lastSegment(String name) {
        String[] segments = name.split("[/\\\\]");
        for (int i = segments.length - 1; i >= 0; i--) {
            if (!segments[i].isEmpty()) {
                return segments[i];
            }
        }
        return "";
    }

    private static UUID fileId(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw ProblemException.notFound("file " + id.replaceAll("[^A-Za-z0-9-]", "?"));
        }
    }
}
