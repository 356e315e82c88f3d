import type { CampaignVersion } from '../domain/campaigns';

/** What a customer is told of a campaign: its name (as the version that applied had it) and its punch card's size. */
export interface CampaignNames {
  name(campaignId: string, version?: number): string | undefined;
  cardSize(campaignId: string): number | undefined;
}

export function campaignNames(versions: readonly CampaignVersion[]): CampaignNames {
  const byVersion = new Map(versions.map(({ campaign }) => [`${campaign.id}#${campaign.version}`, campaign]));
  const latest = new Map<string, CampaignVersion['campaign']>();
  for (const { campaign } of versions) {
    const held = latest.get(campaign.id);
    if (!held || held.version < campaign.version) latest.set(campaign.id, campaign);
  }
  return {
    name: (campaignId, version) => (byVersion.get(`${campaignId}#${version}`) ?? latest.get(campaignId))?.name,
    cardSize: (campaignId) => {
      const reward = latest.get(campaignId)?.reward;
      return reward?.kind === 'punch_card' ? reward.purchases : undefined;
    },
  };
}
