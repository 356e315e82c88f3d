import type { CampaignBook, ChangeAuthor, SavedCampaignVersion } from '../../shared/admin/ports';
import type { Campaign } from '../../shared/domain/campaigns';

/** The campaign book in memory, with the table's conditions: a version saved once, only an open latest replaced or ended. */
export class MemoryCampaignBook implements CampaignBook {
  readonly stored: SavedCampaignVersion[] = [];
  loads = 0;

  async versions(): Promise<SavedCampaignVersion[]> {
    this.loads += 1;
    return this.stored.map((v) => structuredClone(v));
  }

  private find(id: string, version: number) {
    return this.stored.find((v) => v.campaign.id === id && v.campaign.version === version);
  }

  async save(campaign: Campaign, validFrom: string, by: ChangeAuthor, now: string): Promise<'saved' | 'conflict'> {
    if (this.find(campaign.id, campaign.version)) return 'conflict';
    const replaced = campaign.version > 1 ? this.find(campaign.id, campaign.version - 1) : undefined;
    if (campaign.version > 1 && (!replaced || replaced.validTo !== undefined)) return 'conflict';
    if (replaced) Object.assign(replaced, { validTo: validFrom, endedBy: by.name });
    this.stored.push({ campaign: structuredClone(campaign), validFrom, savedAt: now, savedBy: by.name });
    return 'saved';
  }

  async end(campaignId: string, version: number, at: string, by: ChangeAuthor): Promise<'ended' | 'conflict'> {
    const open = this.find(campaignId, version);
    if (!open || open.validTo !== undefined) return 'conflict';
    Object.assign(open, { validTo: at, endedBy: by.name });
    return 'ended';
  }
}
