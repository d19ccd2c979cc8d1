package dev.exai.store.file;

/**
 * A file by its name in a bucket. In a listing, a name that is a folder (a prefix of deeper names) has no file.
 */
public record StoredObject(String bucket, String name, FileView file) {

    public boolean isFolder() {
        return file == null;
    }
}
