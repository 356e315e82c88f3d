import { type CampaignVersion, latestVersions } from '../domain/campaigns';

/** What a customer is told of a campaign: its name (as the version that applied had it) and its punch card's size. */
export interface CampaignNames {
  name(campaignId: string, version?: number): string | undefined;
  cardSize(campaignId: string): number | undefined;
}

export function campaignNames(versions: readonly CampaignVersion[]): CampaignNames {
  const byVersion = new Map(versions.map(({ campaign }) => [`${campaign.id}#${campaign.version}`, campaign]));
  const latest = latestVersions(versions);
  return {
    name: (campaignId, version) => (byVersion.get(`${campaignId}#${version}`) ?? latest.get(campaignId)?.campaign)?.name,
    cardSize: (campaignId) => {
      const reward = latest.get(campaignId)?.campaign.reward;
      return reward?.kind === 'punch_card' ? reward.purchases : undefined;
    },
  };
}
