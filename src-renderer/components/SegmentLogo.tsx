import segmentLogoUrl from '../../resources/segment.svg';

/** The Segment mark (resources/segment.svg). */
export function SegmentLogo({ size = 20, title = 'Segment' }: { size?: number; title?: string }) {
  return <img className="connector-logo" src={segmentLogoUrl} width={size} height={size} alt={title} />;
}
