package io.ipnslink.routing.store;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.ipns.IpnsRecordException;
import java.util.List;
import java.util.Optional;

/**
 * Keeps the best known IPNS record per name. Implementations are thread safe; {@link #put} is
 * atomic: of concurrent puts for one name, the best record (by {@code IpnsRecords.compare}) wins,
 * and a worse record never replaces a better one.
 */
public interface RecordStore extends AutoCloseable {

    /**
     * The stored record for {@code name} if there is one that has not expired yet (past its EOL,
     * or kept longer than the store's retention allows).
     *
     * @throws RecordStoreException if the backend fails
     */
    Optional<StoredRecord> get(IpnsName name);

    /**
     * Validates {@code record} against {@code name} and stores it if it is better than the stored
     * one (or there is none).
     *
     * @return true if the record was stored, false if the stored record is at least as good
     * @throws IpnsRecordException if the record is not valid for the name (expired, bad signature...)
     * @throws StoreFullException if the name is new and the store holds as many names as it may
     * @throws RecordStoreException if the backend fails
     */
    boolean put(IpnsName name, IpnsRecord record);

    /** Names with a stored record (expired ones included until {@link #deleteExpired}), at most {@code limit}. */
    List<IpnsName> names(int limit);

    /** Number of stored records (expired ones included until {@link #deleteExpired}). */
    long count();

    /** Removes every expired record (see {@link #get}). @return how many were removed */
    int deleteExpired();

    /** Releases the backend (connections, files). */
    @Override
    void close();
}
