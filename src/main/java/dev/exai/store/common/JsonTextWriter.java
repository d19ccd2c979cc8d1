package dev.exai.store.common;

import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.ext.Provider;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import org.jboss.resteasy.reactive.server.spi.ResteasyReactiveResourceInfo;
import org.jboss.resteasy.reactive.server.spi.ServerMessageBodyWriter;
import org.jboss.resteasy.reactive.server.spi.ServerRequestContext;

/**
 * Writes a route's already-serialized JSON (a {@code String} entity, as the session and message routes answer) as the
 * whole response in one write, with its Content-Length. The Jackson writer that would otherwise take it streams the
 * text: past its 8 KiB buffer (a history page, a context read) that is a chunked response sent in two writes, and a
 * write is a system call that cost a fifth of a cached read's CPU (see docs/performance.md).
 */
@Provider
@Produces(MediaType.APPLICATION_JSON)
public class JsonTextWriter implements ServerMessageBodyWriter<String> {

    @Override
    public boolean isWriteable(Class<?> type, Type genericType, ResteasyReactiveResourceInfo target, MediaType mediaType) {
        return type == String.class;
    }

    @Override
    public void writeResponse(String json, Type genericType, ServerRequestContext context) {
        // String.getBytes encodes ASCII-only text with one array copy; Netty's char-by-char UTF-8 writer cost three times that
        context.serverResponse().end(json.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public boolean isWriteable(Class<?> type, Type genericType, Annotation[] annotations, MediaType mediaType) {
        return type == String.class;
    }

    @Override
    public void writeTo(String json, Class<?> type, Type genericType, Annotation[] annotations, MediaType mediaType,
                        MultivaluedMap<String, Object> httpHeaders, OutputStream entityStream) throws IOException {
        entityStream.write(json.getBytes(StandardCharsets.UTF_8));
    }
}
