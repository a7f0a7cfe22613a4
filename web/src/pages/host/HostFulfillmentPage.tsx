// The host's fulfillment queue: its lots' prizes, the winner's address once claimed,
// and the ship form. A player with no host profile is told how to become one.
import { api, unwrap } from "../../api/client";
import { ApiError } from "../../api/problem";
import { Queue } from "../../fulfillment/Queue";
import "../../me/me.css";

export default function HostFulfillmentPage() {
  return (
    <section aria-labelledby="host-fulfillment-title">
      <h1 id="host-fulfillment-title">Prizes to ship</h1>
      <p>
        When a winner claims a prize of your lots, their shipping address appears here. Ship it before its ship
        deadline and enter the carrier and tracking number; you are paid once delivery is confirmed.
      </p>
      <Queue
        queryKey={["host", "fulfillment"]}
        empty="No prizes here."
        load={async (status, cursor) => {
          try {
            return unwrap(
              await api.GET("/api/hosts/me/fulfillment", {
                params: { query: { limit: 25, cursor, ...(status ? { status } : {}) } },
              }),
            );
          } catch (error) {
            if (error instanceof ApiError && error.code === "not_a_host") {
              throw new Error("You are not a host yet: apply to host lots first.");
            }
            throw error;
          }
        }}
        ship={async (revealId, body) =>
          unwrap(
            await api.POST("/api/hosts/me/fulfillment/{reveal_id}/ship", {
              params: { path: { reveal_id: revealId } },
              body,
            }),
          )
        }
      />
    </section>
  );
}
