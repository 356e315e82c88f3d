import type { CampaignVersion } from '../domain/campaigns';
import type { CampaignSource } from './ports';

/**
 * The campaigns, loaded at most once per `ttlMs` and shared by every sale of the process (concurrent callers wait for
 * the same load). A load counts from when it started, so a change saved `ttlMs` before a sale's date is always seen.
 * A failed load is not kept: the next sale tries again.
 */
export class CachedCampaignSource implements CampaignSource {
  private loading: Promise<readonly CampaignVersion[]> | undefined;
  private startedAt = 0;

  constructor(
    private readonly source: CampaignSource,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  versions(): Promise<readonly CampaignVersion[]> {
    if (!this.loading || this.now() - this.startedAt >= this.ttlMs) {
      this.startedAt = this.now();
      const loading = this.source.versions();
      this.loading = loading;
      loading.catch(() => {
        if (this.loading === loading) this.loading = undefined;
      });
    }
    return this.loading;
  }
}
