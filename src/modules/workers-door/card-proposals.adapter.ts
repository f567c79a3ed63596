/**
 * The worker confirms a proposed card of one of their own engagements (card custody, roster module):
 * the worker page calls the roster's service, which answers 404 for a proposal that is not theirs.
 */
export { confirmCardProposal } from '../roster/cards.service.js';
