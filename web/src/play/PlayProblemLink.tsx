import { Link } from "react-router";
import { ApiError } from "../api/problem";

const PLAY_CODES = new Set(["spend_limit_exceeded", "play_excluded"]);

/** Under a purchase refused by the player's own limits or break: where to see them. */
export function PlayProblemLink({ error }: { error: unknown }) {
  if (!(error instanceof ApiError) || !PLAY_CODES.has(error.code)) return null;
  return (
    <p className="muted" style={{ margin: 0 }}>
      <Link to="/me/play">See your responsible play settings</Link>
    </p>
  );
}
