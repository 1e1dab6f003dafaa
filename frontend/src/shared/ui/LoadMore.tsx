/** "Load more" under a paged list, with the error of the last attempt. */
export function LoadMore({
  hasNextPage,
  loading,
  error,
  what,
  onLoad,
}: {
  hasNextPage: boolean;
  loading: boolean;
  error?: string | null;
  /** e.g. "keys", for "Could not load more keys: …" */
  what: string;
  onLoad: () => void;
}) {
  return (
    <>
      {error && (
        <p role="alert" className="alert load-more">
          Could not load more {what}: {error}
        </p>
      )}
      {hasNextPage && (
        <button type="button" className="button load-more" onClick={onLoad} disabled={loading}>
          {loading ? 'Loading…' : 'Load more'}
        </button>
      )}
    </>
  );
}
