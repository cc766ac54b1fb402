"""The codec: model instances to DynamoDB AttributeValues and back, exactly."""
