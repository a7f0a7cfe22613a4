import { Placeholder } from "../../components/Placeholder";

export default function RevealsPage() {
  return <Placeholder title="My results" />;
}
